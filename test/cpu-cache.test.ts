// The caching CPU allocator (native/cpu_cache.h) reuses freed tensor memory without
// changing any result, and DPL_TORCH_CPU_CACHE_MB caps it or turns it off.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuCacheStats, emptyCpuCache } from '../src/runtime.js';
import { LossNetwork } from '../src/loss-network.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'dpl-cpu-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 256x256: the first activations (2x64x128x128 floats, 8 MiB) are above the 4 MiB the cache starts at.
const shape = [2, 3, 256, 256];
const a = randomImages(shape, 21);
const b = randomImages(shape, 22);
writeFileSync(join(dir, 'a.f32'), a.data);
writeFileSync(join(dir, 'b.f32'), b.data);

// The same loss and gradient in a fresh process with the given cache setting (built dist/).
function inChild(cacheMb: string): { limitBytes: number; cachedBytes: number; loss: number; grad: Float32Array } {
  const script = `
    import { readFileSync, writeFileSync } from 'node:fs';
    import { LossNetwork, perceptualLoss, cpuCacheStats } from '${resolve('dist/index.js')}';
    const read = (f) => { const b = readFileSync(f); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
    const shape = ${JSON.stringify(shape)};
    const net = await LossNetwork.load('resnet18', { modelsDir: '${TEST_MODELS}' });
    let r;
    for (let i = 0; i < 2; i++) r = await perceptualLoss({ data: read('${dir}/a.f32'), shape }, { data: read('${dir}/b.f32'), shape }, { network: net, layers: [4, 7], grad: true });
    writeFileSync('${dir}/grad-${cacheMb}.f32', r.grad.data);
    console.log(JSON.stringify({ ...cpuCacheStats(), loss: r.loss }));
    net.dispose();`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, DPL_TORCH_CPU_CACHE_MB: cacheMb },
    timeout: 120_000,
  });
  expect(out.status, out.stderr).toBe(0);
  const buf = readFileSync(join(dir, `grad-${cacheMb}.f32`));
  return { ...JSON.parse(out.stdout.trim().split('\n').at(-1)!), grad: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4) };
}

describe('CPU tensor cache', () => {
  it('hands freed blocks out again, and empties on request', async () => {
    const net = await LossNetwork.load('resnet18', { modelsDir: TEST_MODELS });
    try {
      emptyCpuCache();
      const before = cpuCacheStats();
      expect(before.limitBytes, 'the default cap (run the tests without DPL_TORCH_CPU_CACHE_MB set)').toBe(2048 * 2 ** 20);
      expect(before.cachedBytes).toBe(0);
      await perceptualLoss(a, b, { network: net, layers: [4, 7], grad: true });
      const first = cpuCacheStats();
      expect(first.cachedBytes).toBeGreaterThan(0); // the step's activations, freed
      await perceptualLoss(a, b, { network: net, layers: [4, 7], grad: true });
      const second = cpuCacheStats();
      // The second identical step finds its large tensors in the cache.
      expect(second.hits - first.hits).toBeGreaterThan(0);
      expect(second.misses - first.misses).toBeLessThan(second.hits - first.hits);
      emptyCpuCache();
      expect(cpuCacheStats().cachedBytes).toBe(0);
    } finally {
      net.dispose();
    }
  });

  it('changes no result: the same loss and gradient with the cache off, on, and capped at 1 MiB', async () => {
    const off = inChild('0');
    const on = inChild('2048');
    const capped = inChild('1');
    expect(off.limitBytes).toBe(0);
    expect(off.cachedBytes).toBe(0);
    expect(on.cachedBytes).toBeGreaterThan(2 ** 20);
    expect(capped.limitBytes).toBe(2 ** 20);
    expect(capped.cachedBytes).toBeLessThanOrEqual(2 ** 20);
    for (const r of [on, capped]) {
      expect(r.loss).toBe(off.loss);
      expect(Buffer.from(r.grad.buffer).equals(Buffer.from(off.grad.buffer))).toBe(true);
    }
  });

  it('keeps the default cap for a setting that is not a whole number of MiB, and doctor names it', () => {
    const script = `
      import { doctor, cpuCacheStats } from '${resolve('dist/index.js')}';
      console.log(JSON.stringify({ limit: cpuCacheStats().limitBytes, problems: doctor().problems }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, DPL_TORCH_CPU_CACHE_MB: '512MB' },
      timeout: 60_000,
    });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { limit: number; problems: string[] };
    expect(r.limit).toBe(2048 * 2 ** 20);
    expect(r.problems.some((p) => p.includes("DPL_TORCH_CPU_CACHE_MB='512MB'"))).toBe(true);
  });
});
