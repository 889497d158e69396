// A CLI training run killed with SIGKILL mid-epoch resumes from its last
// checkpoint, completes without redoing finished epochs, and ends with the
// metrics of an uninterrupted run. The CLI runs from
// a fresh tsc build (outDir .test-dist-sr, a child of the package root so the
// addon and node_modules resolve as from dist/).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticSrData } from '../src/data/synthetic-sr.js';
import { packageRoot } from '../src/paths.js';
import { killAtStep } from './helpers/kill.js';
import { TEST_MODELS } from './helpers/models.js';

const out = join(packageRoot, '.test-dist-sr');
const root = mkdtempSync(join(tmpdir(), 'dpl-sr-kill-'));
let args: (out: string) => string[];

beforeAll(async () => {
  const tsc = spawnSync(
    process.execPath,
    [join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', out],
    {
      cwd: packageRoot,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  const data = await makeSyntheticSrData(join(root, 'data'), { seed: 5, train: 8, val: 2, test: 2, size: [48, 64] });
  args = (run) => [
    join(out, 'cli', 'main.js'),
    'super-resolution',
    '--network',
    'vgg16',
    '--layer',
    '3',
    '--coco',
    data.coco,
    '--tests',
    data.tests,
    '--out',
    run,
    '--epochs',
    '3',
    '--steps',
    '20',
    '--train-images',
    '8',
    '--val-images',
    '2',
    '--hr-size',
    '32',
    '--batch',
    '2',
    '--checkpoint-every',
    '1',
    '--test-images',
    '2',
    '--models',
    TEST_MODELS,
  ];
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

it('resumes after SIGKILL mid-epoch and completes with the metrics of an uninterrupted run', async () => {
  const whole = spawnSync(process.execPath, args(join(root, 'whole')), { encoding: 'utf8' });
  expect(whole.status, whole.stderr).toBe(0);
  const statePath = join(root, 'run', 'state.json');
  // Kill once epoch 1 is done and epoch 2 is under way.
  const killedAt = await killAtStep(spawn(process.execPath, args(join(root, 'run')), { stdio: 'ignore' }), statePath, 23);
  expect(existsSync(join(root, 'run', 'best.pt'))).toBe(true);
  const r = spawnSync(process.execPath, args(join(root, 'run')), { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const resumed = Number(/resumed at step (\d+)/.exec(r.stderr)?.[1]); // the run's log is on stderr, its metrics on stdout
  expect(resumed).toBeGreaterThanOrEqual(killedAt);
  expect(resumed).toBeLessThan(60);
  expect(r.stderr).not.toMatch(/epoch 1\/3:/); // epoch 1 is not trained or validated again
  expect(r.stderr).toMatch(/epoch 3\/3: train loss/);
  expect(r.stdout).toMatch(/psnr\.mean\s+\d+\.\d+/);
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  expect(state.globalStep).toBe(60);
  expect(state.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3]);
  const metrics = (run: string) => JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  expect(metrics(join(root, 'run'))).toEqual(metrics(join(root, 'whole')));
});
