// DeviceTensor (src/device-tensor.ts, native/device_tensor.h): batches kept on a device
// across calls. On the CPU it must change nothing: the same bytes back, and features,
// loss and gradient bit-for-bit those of the FloatTensor path (itself checked against
// Python PyTorch in perceptual-loss.test.ts). Error codes are in error-codes.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceTensor, toDevice } from '../src/device-tensor.js';
import { LossNetwork } from '../src/loss-network.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { cpuCacheStats } from '../src/runtime.js';
import type { FloatTensor } from '../src/tensor.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

/** Equal bytes: the float32 bit patterns, so that NaN payloads, -0 and denormals count. */
const bytes = (t: FloatTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
function expectSameBits(got: FloatTensor, want: FloatTensor): void {
  expect(got.shape).toEqual(want.shape);
  expect(bytes(got).equals(bytes(want))).toBe(true);
}

const a = randomImages([2, 3, 48, 48], 31);
const b = randomImages([2, 3, 48, 48], 32);
let plain: LossNetwork;
let fast: LossNetwork;
beforeAll(async () => {
  plain = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS });
  fast = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS, fast: true });
});
afterAll(() => {
  plain.dispose();
  fast.dispose();
});

describe('DeviceTensor on the CPU', () => {
  it('round-trips bit-exactly, special values included, and reports its shape and device', async () => {
    const t = randomImages([1, 2, 3, 4], 5);
    t.data.set([NaN, -0, Infinity, -Infinity, 1e-45, -3.4e38], 0);
    const d = await toDevice(t, 'cpu');
    expect(d).toBeInstanceOf(DeviceTensor);
    expect(d.shape).toEqual([1, 2, 3, 4]);
    expect(d.device).toBe('cpu');
    expect(d.disposed).toBe(false);
    t.data.fill(0); // the DeviceTensor holds its own copy
    const back = await d.toHost();
    expect(back.data[0]).toBeNaN();
    expect(Object.is(back.data[1], -0)).toBe(true);
    expect([...back.data.subarray(2, 6)]).toEqual([Infinity, -Infinity, Math.fround(1e-45), Math.fround(-3.4e38)]);
    expectSameBits(await d.toHost(), back);
    const again = randomImages([1, 2, 3, 4], 5);
    again.data.set([NaN, -0, Infinity, -Infinity, 1e-45, -3.4e38], 0);
    expectSameBits(back, again);
    d.dispose();
    expect(d.disposed).toBe(true);
    expect(d.shape).toEqual([1, 2, 3, 4]); // metadata stays readable
  });

  for (const which of ['plain', 'fast'] as const) {
    it(`features, loss and gradient through DeviceTensors equal the FloatTensor path bit-for-bit (${which})`, async () => {
      const net = which === 'plain' ? plain : fast;
      const layers = which === 'plain' ? [1, 4, 11] : [2, 6, 12];
      const [da, db] = await Promise.all([toDevice(a, net.device), toDevice(b, net.device)]);
      try {
        const want = await net.features(a, layers);
        const got = await net.features(da, layers);
        expect(got.length).toBe(want.length);
        got.forEach((f, i) => expectSameBits(f, want[i]!));

        for (const distance of ['mse', 'l1'] as const) {
          const host = await perceptualLoss(a, b, { network: net, layers, distance, grad: true });
          expect(host.loss).toBeGreaterThan(0);
          // Both on the device, and each alone (the other a FloatTensor).
          for (const [x, y] of [
            [da, db],
            [a, db],
            [da, b],
          ] as const) {
            const r = await perceptualLoss(x, y, { network: net, layers, distance, grad: true });
            expect(r.loss).toBe(host.loss);
            expectSameBits(r.grad!, host.grad!);
          }
          // The gradient left on the device, read back later.
          const r = await perceptualLoss(da, db, { network: net, layers, distance, grad: true, gradOutput: 'device' });
          expect(r.loss).toBe(host.loss);
          expect(r.grad).toBeInstanceOf(DeviceTensor);
          expect(r.grad!.shape).toEqual(a.shape);
          expect(r.grad!.device).toBe(net.device);
          expectSameBits(await r.grad!.toHost(), host.grad!);
          r.grad!.dispose();
        }
        // Without grad, gradOutput changes nothing.
        const noGrad = await perceptualLoss(da, db, { network: net, layers, gradOutput: 'device' });
        expect(noGrad.grad).toBeUndefined();
      } finally {
        da.dispose();
        db.dispose();
      }
    });
  }

  it('a gradient DeviceTensor is accepted back as an input', async () => {
    const r = await perceptualLoss(a, b, { network: plain, layers: [4], grad: true, gradOutput: 'device' });
    const hostGrad = await r.grad!.toHost();
    const want = await plain.features(hostGrad, [1]);
    const got = await plain.features(r.grad!, [1]);
    expectSameBits(got[0]!, want[0]!);
    r.grad!.dispose();
  });

  it('dispose frees at once: 200 toDevice/dispose cycles reuse one block and RSS stays flat', async () => {
    // 1x3x768x512 floats = 4.5 MiB, above the 4 MiB from which the CPU cache keeps blocks
    // (native/cpu_cache.h): each freed block is handed out again to the next copy.
    const big = randomImages([1, 3, 768, 512], 7);
    const stats0 = cpuCacheStats();
    expect(stats0.limitBytes, 'run the tests without DPL_TORCH_CPU_CACHE_MB=0').toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) (await toDevice(big, 'cpu')).dispose(); // warm up
    const before = cpuCacheStats();
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) {
      const d = await toDevice(big, 'cpu');
      if (i % 50 === 0) expect((await d.toHost()).data[i]).toBe(big.data[i]);
      d.dispose();
    }
    const after = cpuCacheStats();
    // A block that outlived dispose() would make every later copy a miss.
    expect(after.misses - before.misses).toBeLessThanOrEqual(1);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(199);
    // 200 leaked copies would be 900 MiB; toHost's 4 Float32Arrays are JS garbage.
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20);
  });
});
