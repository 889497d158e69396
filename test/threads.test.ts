// Thread settings reach every pool that runs tensor work: LibTorch's intra-op count (the
// cores by default) and OpenBLAS's own pool, held at one (Debian's LibTorch calls OpenBLAS,
// which ignores at::set_num_threads and, left at the core count, keeps a spinning worker
// beside every GEMM and oversubscribes the cores LibTorch's threads already use).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { setThreads } from '../src/runtime.js';
import { TEST_MODELS } from './helpers/models.js';

const openblas = native()
  .info()
  .blasLibraries.some((l) => l.includes('openblas'));

const THREAD_VARS = [
  'OMP_NUM_THREADS',
  'MKL_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'DPL_TORCH_THREADS',
  'OMP_WAIT_POLICY',
  'GOMP_SPINCOUNT',
];

/** The worker's thread settings in a fresh process whose environment has none of THREAD_VARS but `env`. */
function freshInfo(
  env: Record<string, string>,
  script = '',
): { threads: number; threadsSource: string; blasThreads: number; waitPolicy?: string } {
  const clean = { ...process.env };
  for (const k of THREAD_VARS) delete clean[k];
  const code = `
    import { native } from '${resolve('dist/native.js')}';
    import { setThreads } from '${resolve('dist/index.js')}';
    ${script}
    const i = native().info();
    console.log(JSON.stringify({ threads: i.threads, threadsSource: i.threadsSource, blasThreads: i.blasThreads, waitPolicy: process.env.OMP_WAIT_POLICY }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, ...env },
  });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!);
}

describe('threads', () => {
  it('OpenBLAS starts at one thread', () => {
    expect(openblas).toBe(true); // CI installs libopenblas0-pthread; without it this test has nothing to check
    expect(native().info().blasThreads).toBe(1);
  });

  it('defaults to the cores this process may use, with OpenBLAS at one', () => {
    // PyTorch 1.13 alone would take half the logical cores (1 on a 2-vCPU machine).
    // ...and OpenMP's idle threads sleep rather than spin (set before LibTorch loads libgomp).
    expect(freshInfo({})).toEqual({
      threads: availableParallelism(),
      threadsSource: 'cores',
      blasThreads: openblas ? 1 : 0,
      waitPolicy: 'PASSIVE',
    });
  });

  it('DPL_TORCH_THREADS sets the count, and wins over OMP_NUM_THREADS', () => {
    expect(freshInfo({ DPL_TORCH_THREADS: '3' })).toMatchObject({ threads: 3, threadsSource: 'DPL_TORCH_THREADS' });
    expect(freshInfo({ DPL_TORCH_THREADS: '3', OMP_NUM_THREADS: '1' })).toMatchObject({ threads: 3, threadsSource: 'DPL_TORCH_THREADS' });
  });

  it("OMP_NUM_THREADS is LibTorch's to read, and is left as it chose", () => {
    const cores = availableParallelism();
    const n = cores === 1 ? 2 : 1; // a count the default would not give
    expect(freshInfo({ OMP_NUM_THREADS: String(n), OMP_WAIT_POLICY: 'ACTIVE' })).toEqual({
      threads: n,
      threadsSource: 'OMP_NUM_THREADS',
      blasThreads: openblas ? 1 : 0,
      waitPolicy: 'ACTIVE', // the user's choices stand
    });
  });

  it('a DPL_TORCH_THREADS that is not a positive integer is ignored (the default stands)', () => {
    expect(freshInfo({ DPL_TORCH_THREADS: 'many' })).toMatchObject({ threads: availableParallelism(), threadsSource: 'cores' });
  });

  it('setThreads overrides the default and the variables', () => {
    expect(freshInfo({ DPL_TORCH_THREADS: '3' }, 'await setThreads(2);')).toMatchObject({
      threads: 2,
      threadsSource: 'setThreads',
      blasThreads: openblas ? 1 : 0,
    });
  });

  it('setThreads refuses a count that is not a positive integer', async () => {
    await expect(setThreads(0)).rejects.toThrow(/positive integer/);
    await expect(setThreads(1.5)).rejects.toThrow(/positive integer/);
  });

  it('setThreads runs on the tensor worker between jobs: calls queued before it keep the old count', () => {
    // A fresh process: the count is process-wide for OpenBLAS. OpenBLAS's pool used to be
    // resized on the JS thread at once, under whatever GEMM the worker was running.
    const script = `
      import { LossNetwork, setThreads } from '${resolve('dist/index.js')}';
      import { native } from '${resolve('dist/native.js')}';
      const net = await LossNetwork.load('alexnet', { modelsDir: '${TEST_MODELS}' });
      const x = { data: new Float32Array(3 * 64 * 64).fill(0.5), shape: [1, 3, 64, 64] };
      const before = native().info();
      const target = before.threads + 1;
      const early = native().internal.benchLossStep(net.handle, x, x, [4], { steps: 1 });
      const set = setThreads(target);
      const mid = native().info();
      const late = native().internal.benchLossStep(net.handle, x, x, [4], { steps: 1 });
      await set;
      const after = native().info();
      console.log(JSON.stringify({
        target, before: [before.threads, before.blasThreads], mid: [mid.threads, mid.blasThreads],
        early: (await early).threads, late: (await late).threads, after: [after.threads, after.blasThreads],
      }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(r.before[1]).toBe(1);
    expect(r.mid, 'nothing changes before the worker reaches setThreads').toEqual(r.before);
    expect(r.early).toBe(r.before[0]);
    expect(r.late).toBe(r.target);
    expect(r.after).toEqual([r.target, 1]);
  });
});
