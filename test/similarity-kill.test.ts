// A CLI similarity run killed with SIGKILL (no chance to save) and started
// again resumes from its last periodic checkpoint and writes exactly the
// results of an uninterrupted run with the same seed. The CLI runs from a fresh
// tsc build (outDir .test-dist-sim, inside the package root so the addon and
// node_modules resolve as from dist/).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSyntheticBapps } from '../src/data/synthetic-bapps.js';
import { packageRoot } from '../src/paths.js';
import { TEST_MODELS } from './helpers/models.js';

const dist = join(packageRoot, '.test-dist-sim');
const tmp = mkdtempSync(join(tmpdir(), 'dpl-sim-kill-'));
const args = (out: string) => [
  join(dist, 'cli', 'main.js'),
  'similarity',
  '--network',
  'alexnet',
  '--layers',
  '1,4',
  '--variant',
  'lin',
  '--bapps',
  join(tmp, 'bapps'),
  '--out',
  out,
  '--epochs',
  '4',
  '--batch',
  '2',
  '--checkpoint-steps',
  '5',
  '--seed',
  '4',
  '--allow-random-weights',
  '--models-dir',
  TEST_MODELS,
];
const resultsOf = (out: string) => JSON.parse(readFileSync(join(out, 'similarity-alexnet-1_4-lin-seed4.json'), 'utf8'));

beforeAll(async () => {
  const tsc = spawnSync(
    process.execPath,
    [join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', dist],
    {
      cwd: packageRoot,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  await makeSyntheticBapps(join(tmp, 'bapps'), { seed: 6, perSubset: 12, size: 64 });
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

it('resumes after SIGKILL and ends with the results of an uninterrupted run', async () => {
  const whole = spawnSync(process.execPath, args(join(tmp, 'whole')), { encoding: 'utf8' });
  expect(whole.status, whole.stderr).toBe(0);

  const out = join(tmp, 'killed');
  const state = join(out, 'similarity-alexnet-1_4-lin-seed4', 'state.json');
  const child = spawn(process.execPath, args(out), { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  while (!existsSync(state)) {
    if (child.exitCode !== null) throw new Error('the run finished before it could be killed');
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
  expect(existsSync(join(out, 'similarity-alexnet-1_4-lin-seed4.json'))).toBe(false);

  const again = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
  expect(again.stderr).toMatch(/resumed at step \d+ \(epoch \d+, step \d+\)/);
  expect(resultsOf(out).metrics).toEqual(resultsOf(join(tmp, 'whole')).metrics);
  expect(readFileSync(join(out, 'similarity-alexnet-1_4-lin-seed4', 'weights.json'), 'utf8')).toBe(
    readFileSync(join(tmp, 'whole', 'similarity-alexnet-1_4-lin-seed4', 'weights.json'), 'utf8'),
  );
});
