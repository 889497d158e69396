// The compiled CLI for tests that start `dpl-torch` (or compiled modules) in
// their own processes: compiled once when the sources are newer than dist/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

export const MAIN = join(packageRoot, 'dist', 'cli', 'main.js');
export const DIST = join(packageRoot, 'dist');

/** Newest modification time under a folder. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );
}

/** Compiles src/ into dist/ when dist/ is missing or older. */
export function ensureDist(): void {
  if (!existsSync(MAIN) || newest(join(packageRoot, 'src')) > newest(DIST)) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: packageRoot, stdio: 'inherit' });
  }
}

export interface Started {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** The exit code; -9 for SIGKILL, -1 for another signal. */
  exit: Promise<number>;
}

/** Starts `node <script> ...args` with its output collected. */
export function startNode(script: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number>((res) => child.on('close', (code, signal) => res(code ?? (signal === 'SIGKILL' ? -9 : -1))));
  return { child, output: () => text, exit };
}

export async function waitFor(what: () => boolean, timeoutMs: number, label = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
