#!/usr/bin/env node
// Runs an example and checks its result: `node scripts/check-accuracy.mjs MIN -- COMMAND [ARGS...]`
// passes the command's output through, then fails unless the command succeeded and the last
// `test accuracy: X` line it printed has X >= MIN. CI runs the training examples with it.
import { spawn } from 'node:child_process';

const [min, separator, command, ...args] = process.argv.slice(2);
if (min === undefined || Number.isNaN(Number(min)) || separator !== '--' || command === undefined) {
  console.error('usage: node scripts/check-accuracy.mjs MIN -- COMMAND [ARGS...]');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk;
});
child.on('close', (code, signal) => {
  if (code !== 0) {
    console.error(`check-accuracy: \`${[command, ...args].join(' ')}\` failed (${signal ?? `exit code ${code}`})`);
    process.exit(1);
  }
  const matches = [...output.matchAll(/^test accuracy: ([0-9.]+)\s*$/gm)];
  const accuracy = matches.length > 0 ? Number(matches.at(-1)[1]) : undefined;
  if (accuracy === undefined) {
    console.error('check-accuracy: the command printed no `test accuracy: X` line');
    process.exit(1);
  }
  if (!(accuracy >= Number(min))) {
    console.error(`check-accuracy: test accuracy ${accuracy} is below ${min}`);
    process.exit(1);
  }
  console.log(`check-accuracy: test accuracy ${accuracy} >= ${min}`);
});
