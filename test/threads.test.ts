// Thread settings reach every pool that runs tensor work: LibTorch's intra-op count and
// OpenBLAS's own pool (Debian's LibTorch calls OpenBLAS, which ignores at::set_num_threads
// and, left at the core count, keeps a spinning worker beside every GEMM).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { setThreads } from '../src/runtime.js';
import { TEST_MODELS } from './helpers/models.js';

const openblas = native()
  .info()
  .blasLibraries.some((l) => l.includes('openblas'));

describe('threads', () => {
  it("OpenBLAS starts at LibTorch's intra-op count", () => {
    const info = native().info();
    expect(openblas).toBe(true); // CI installs libopenblas0-pthread; without it this test has nothing to check
    expect(info.blasThreads).toBe(info.threads);
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
    expect(r.before[1]).toBe(r.before[0]);
    expect(r.mid, 'nothing changes before the worker reaches setThreads').toEqual(r.before);
    expect(r.early).toBe(r.before[0]);
    expect(r.late).toBe(r.target);
    expect(r.after).toEqual([r.target, r.target]);
  });
});
