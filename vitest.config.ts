import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Two test processes share the 2-core CI machine: one intra-op thread each, as before
    // threads defaulted to the core count (test/threads.test.ts checks the default in
    // processes without this variable).
    env: { DPL_TORCH_THREADS: '1' },
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
