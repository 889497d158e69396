// Kills a training CLI with SIGKILL once its state.json (the training kit's)
// reports a given step, and waits for it to exit: the hard crash the resume
// tests recover from.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resolves to the step state.json held when the child was killed. */
export async function killAtStep(child: ChildProcess, statePath: string, step: number): Promise<number> {
  const exited = new Promise((r) => child.on('exit', r));
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    if (child.exitCode !== null) throw new Error('the run finished before it could be killed');
    let seen = -1;
    try {
      seen = JSON.parse(readFileSync(statePath, 'utf8')).globalStep;
    } catch {
      // not written yet
    }
    if (seen >= step) {
      child.kill('SIGKILL');
      await exited;
      return seen;
    }
  }
}
