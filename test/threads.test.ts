// Thread settings reach every pool that runs tensor work: LibTorch's intra-op count and
// OpenBLAS's own pool (Debian's LibTorch calls OpenBLAS, which ignores at::set_num_threads
// and, left at the core count, keeps a spinning worker beside every GEMM).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { setThreads } from '../src/runtime.js';

const openblas = native().info().blasLibraries.some((l) => l.includes('openblas'));

describe('threads', () => {
  it('OpenBLAS starts at LibTorch\'s intra-op count', () => {
    const info = native().info();
    expect(openblas).toBe(true); // CI installs libopenblas0-pthread; without it this test has nothing to check
    expect(info.blasThreads).toBe(info.threads);
  });

  it('setThreads refuses a count that is not a positive integer', () => {
    expect(() => setThreads(0)).toThrow(/positive integer/);
    expect(() => setThreads(1.5)).toThrow(/positive integer/);
  });

  it('setThreads moves both, on the JS thread and the tensor thread', () => {
    // A fresh process: the count is process-wide for OpenBLAS.
    const script = `
      import { setThreads } from '${resolve('dist/index.js')}';
      import { native } from '${resolve('dist/native.js')}';
      setThreads(2);
      const after = native().info();
      console.log(JSON.stringify({ threads: after.threads, blas: after.blasThreads }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout.trim())).toEqual({ threads: 2, blas: 2 });
  });
});
