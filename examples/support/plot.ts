/**
 * The training plot: the loss of every step above the test accuracy of every
 * epoch, compiled from a Vega-Lite spec and rendered to SVG by Vega in Node.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { History } from './training.js';

/** The Vega-Lite spec of the plot for `history`, titled `title`. */
export function trainingPlotSpec(history: History, title: string): TopLevelSpec {
  const width = 520;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    vconcat: [
      {
        width,
        height: 200,
        data: { values: history.losses.map((loss, i) => ({ step: i + 1, loss })) },
        title: { text: 'loss per step (red: mean over 50 steps)', fontSize: 11, fontWeight: 'normal' },
        // The raw loss of each batch, and its mean over the 50 steps around it on top.
        transform: [{ window: [{ op: 'mean', field: 'loss', as: 'smoothed' }], frame: [-25, 24] }],
        encoding: { x: { field: 'step', type: 'quantitative', title: 'training step' } },
        layer: [
          {
            mark: { type: 'line', opacity: 0.35, strokeWidth: 1 },
            encoding: { y: { field: 'loss', type: 'quantitative', title: 'training loss (cross-entropy)' } },
          },
          { mark: { type: 'line', color: '#d62728' }, encoding: { y: { field: 'smoothed', type: 'quantitative' } } },
        ],
      },
      {
        width,
        height: 160,
        data: { values: history.accuracies.map((accuracy, i) => ({ epoch: i + 1, accuracy })) },
        title: { text: 'test accuracy after each epoch', fontSize: 11, fontWeight: 'normal' },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
        },
      },
    ],
  };
}

/** Renders the plot of `history` to an SVG file at `file` (making its directory); returns `file`. */
export async function writeTrainingPlot(history: History, file: string, title: string): Promise<string> {
  const vegaSpec = compile(trainingPlotSpec(history, title)).spec;
  const svg = await new View(parse(vegaSpec), { renderer: 'none' }).toSVG();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, svg);
  return file;
}
