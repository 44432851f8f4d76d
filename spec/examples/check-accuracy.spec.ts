/** scripts/check-accuracy.mjs: CI's check of an example's last `test accuracy:` line. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, '..', '..', 'scripts', 'check-accuracy.mjs');

/** Runs the check with `min` on a Node one-liner; returns its exit status and output. */
function check(min: string, program: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script, min, '--', process.execPath, '-e', program], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('check-accuracy', () => {
  it('passes when the last accuracy line reaches the minimum, passing the output through', () => {
    const { status, output } = check('0.97', "console.log('epoch 1\\ntest accuracy: 0.9705')");
    expect(output).toContain('epoch 1\ntest accuracy: 0.9705\n');
    expect(status).toBe(0);
  });

  it('fails below the minimum, judging the last accuracy line only', () => {
    const { status, output } = check('0.97', "console.log('test accuracy: 0.9900\\ntest accuracy: 0.9650')");
    expect(status).toBe(1);
    expect(output).toContain('test accuracy 0.965 is below 0.97');
  });

  it('fails when the command fails or prints no accuracy', () => {
    expect(check('0.5', "console.log('test accuracy: 0.9'); process.exit(3)")).toMatchObject({ status: 1 });
    const { status, output } = check('0.5', "console.log('done')");
    expect(status).toBe(1);
    expect(output).toContain('printed no `test accuracy: X` line');
  });

  it('rejects a call without a minimum and a command', () => {
    const run = spawnSync(process.execPath, [script, '0.9', 'node'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: node scripts/check-accuracy.mjs MIN -- COMMAND [ARGS...]');
  });
});
