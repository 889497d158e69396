// A CLI delineation run killed with SIGKILL (no chance to save) and started
// again resumes from its last checkpoint and ends with exactly the metrics and
// training history of an uninterrupted run with the same seed. The CLI runs
// from a fresh tsc build (outDir .test-dist-delineation, inside the package
// root so the addon and node_modules resolve as from dist/).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSyntheticMrd } from '../src/data/synthetic-mrd.js';
import { packageRoot } from '../src/paths.js';
import { TEST_MODELS } from './helpers/models.js';

const dist = join(packageRoot, '.test-dist-delineation');
const tmp = mkdtempSync(join(tmpdir(), 'dpl-delineation-kill-'));
const args = (out: string) => [
  join(dist, 'cli', 'main.js'),
  'delineation',
  '--network',
  'vgg16',
  '--layer',
  '3',
  '--mrd',
  join(tmp, 'mrd'),
  '--out',
  out,
  '--epochs',
  '3',
  '--batch',
  '2',
  '--crop',
  '32',
  '--checkpoint-every',
  '1',
  '--seed',
  '4',
  '--models',
  TEST_MODELS,
];
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

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
  await makeSyntheticMrd(join(tmp, 'mrd'), { seed: 8, train: 6, val: 2, test: 2, size: 48 });
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

it('resumes after SIGKILL and ends with the metrics of an uninterrupted run', async () => {
  const whole = spawnSync(process.execPath, args(join(tmp, 'whole')), { encoding: 'utf8' });
  expect(whole.status, whole.stderr).toBe(0);
  expect(whole.stdout).toMatch(/^quality\.relaxed +\d+\.\d{4}$/m);

  const out = join(tmp, 'killed');
  const state = join(out, 'state.json');
  const child = spawn(process.execPath, args(out), { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  // Kill in the middle of epoch 2 (3 steps per epoch).
  for (;;) {
    if (child.exitCode !== null) throw new Error('the run finished before it could be killed');
    try {
      if (read(state).globalStep >= 4) break;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await exited;
  expect(child.signalCode).toBe('SIGKILL');
  expect(existsSync(join(out, 'metrics.json'))).toBe(false);

  const again = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
  expect(again.stderr).toMatch(/resumed at step \d+ \(epoch \d+, step \d+\)/);
  expect(read(join(out, 'metrics.json'))).toEqual(read(join(tmp, 'whole', 'metrics.json')));
  expect(read(state).history).toEqual(read(join(tmp, 'whole', 'state.json')).history);
});
