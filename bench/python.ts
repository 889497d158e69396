// The Python side of the bench: bench/reference_step.py kept running, one JSON
// request per line, so a model stays loaded while the harness alternates sides.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export const REFERENCE_STEP = join(import.meta.dirname, '..', 'bench', 'reference_step.py');

export class PythonStep {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: ((line: string) => void)[] = [];
  private stderr = '';
  private exited: Error | undefined;

  /**
   * `env`: added to the child's environment (e.g. OPENBLAS_NUM_THREADS, read when torch loads);
   * `base`: the environment it is added to (default this process's).
   */
  constructor(python: string, env: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(python, [REFERENCE_STEP], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...base, ...env } });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.answers.shift()?.(line));
    this.child.stderr.setEncoding('utf8').on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    this.child.on('exit', (code) => {
      this.exited = new Error(`${REFERENCE_STEP} exited (${code}): ${this.stderr.trim()}`);
      for (const answer of this.answers.splice(0)) answer('');
    });
  }

  /** Sends one request; resolves with the answer, rejects with Python's error. */
  request<T = Record<string, unknown>>(req: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.answers.push((line) => {
        if (!line) return reject(this.exited ?? new Error('reference_step.py gave no answer'));
        const answer = JSON.parse(line, (k, v) => (k === 'loss' && v === null ? NaN : v)) as T & { error?: string };
        if (answer.error) reject(new Error(`reference_step.py (${String(req.op)}): ${answer.error}`));
        else resolve(answer);
      });
      this.child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    await done;
  }
}
