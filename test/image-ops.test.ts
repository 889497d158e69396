// Image operations against Python references: PSNR/SSIM = scikit-image on the
// BT.601 luma (1e-4), resize = PIL's antialiased resize and blur = scipy's
// Gaussian (within one grey level), and clear errors on bad input.
import { describe, expect, it } from 'vitest';
import { fromFloatBatch, toFloatBatch } from '../src/data/image.js';
import { mulberry32 } from '../src/data/seeded.js';
import { syntheticImage } from '../src/data/synthetic-sr.js';
import { centerCrop, gaussianBlur, luma, psnr, quantize, resize, resizeImage, ssim } from '../src/image-ops.js';
import { native } from '../src/native.js';
import type { ByteImage } from '../src/tensor.js';
import { pilResize, scipyBlur, skimageMetrics } from './helpers/sr-reference.js';

const base = syntheticImage(48, 64, 11);

function map(img: ByteImage, f: (v: number, i: number) => number): ByteImage {
  return { data: img.data.map((v, i) => Math.max(0, Math.min(255, Math.round(f(v, i))))), shape: img.shape };
}
function noisy(img: ByteImage, amp: number, seed: number): ByteImage {
  const r = mulberry32(seed);
  return map(img, (v) => v + (r() - 0.5) * 2 * amp);
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('psnr and ssim', () => {
  it('equal scikit-image on the luma to 1e-4 over images, distortions and shaves', async () => {
    const blurred = fromFloatBatch(await gaussianBlur(toFloatBatch([base])));
    const other = syntheticImage(48, 64, 99);
    const pairs = [
      { a: noisy(base, 8, 1), b: base, shave: 0 },
      { a: noisy(base, 30, 2), b: base, shave: 4 },
      { a: blurred, b: base, shave: 4 },
      { a: map(base, (v) => v * 0.8 + 20), b: base, shave: 8 },
      { a: other, b: base, shave: 2 },
      { a: noisy(syntheticImage(40, 40, 5), 15, 3), b: syntheticImage(40, 40, 5), shave: 8 },
    ];
    const ref = skimageMetrics(pairs);
    for (const [i, p] of pairs.entries()) {
      expect(Math.abs((await psnr(p.a, p.b, { shave: p.shave })) - ref[i]!.psnr)).toBeLessThan(1e-4);
      expect(Math.abs((await ssim(p.a, p.b, { shave: p.shave })) - ref[i]!.ssim)).toBeLessThan(1e-4);
    }
    expect(await psnr(base, base)).toBe(Infinity);
    expect(await ssim(base, base)).toBeCloseTo(1, 12);
  });

  it('luma is MATLAB rgb2ycbcr Y, unrounded', async () => {
    const img: ByteImage = { data: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 0, 0, 10, 200, 30]), shape: [2, 2, 3] };
    const y = await luma(img);
    expect(y.shape).toEqual([2, 2]);
    const want = [16, 235, 16 + 65.481, 16 + (65.481 * 10 + 128.553 * 200 + 24.966 * 30) / 255];
    want.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 4));
  });
});

describe('resize and blur', () => {
  const src = syntheticImage(90, 120, 4);
  it.each([
    ['bicubic', [30, 40]],
    ['bicubic', [23, 37]],
    ['bilinear', [45, 60]],
    ['bilinear', [64, 85]],
  ] as const)('antialiased %s to %j is within one grey level of PIL', async (mode, size) => {
    const ours = await resizeImage(src, [...size], { mode });
    const pil = pilResize(src, [...size], mode);
    expect(ours.shape).toEqual(pil.shape);
    expect(maxDiff(ours.data, pil.data)).toBeLessThanOrEqual(1);
  });

  it('sigma-1 blur is within one grey level of scipy (9 taps, mirror border)', async () => {
    const ours = await gaussianBlur(toFloatBatch([src]), { sigma: 1 });
    const ref = scipyBlur(src); // HWC
    const [h, w] = src.shape;
    let m = 0;
    for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) m = Math.max(m, Math.abs(ours.data[k * h * w + p]! - ref[p * 3 + k]!));
    expect(m * 255).toBeLessThan(1);
    expect(m).toBeLessThan(1e-5);
  });

  it('centre crop and quantisation', () => {
    const img: ByteImage = { data: new Uint8Array(5 * 4 * 3).map((_, i) => i), shape: [5, 4, 3] };
    const c = centerCrop(img, 2, 2);
    expect(c.shape).toEqual([2, 2, 3]);
    expect(Array.from(c.data.slice(0, 3))).toEqual([(1 * 4 + 1) * 3, (1 * 4 + 1) * 3 + 1, (1 * 4 + 1) * 3 + 2]);
    const q = quantize({ data: new Float32Array([-0.1, 0.5 / 255, 1.49 / 255, 1.2, 0.5, 1, 0, 0, 0, 0, 0, 0]), shape: [1, 3, 2, 2] });
    expect(Array.from(q[0]!.data.filter((_, i) => i % 3 === 0))).toEqual([0, 1, 1, 255]);
  });
});

describe('bad input', () => {
  it('gives clear errors, from TS and from native code', async () => {
    const good = syntheticImage(20, 20, 1);
    await expect(async () => psnr(good, syntheticImage(20, 21, 1))).rejects.toThrow(/same size/);
    await expect(async () => psnr({ data: new Float32Array(12), shape: [2, 2, 3] } as never, good)).rejects.toThrow(/Uint8Array/);
    await expect(async () => ssim(good, good, { shave: 5 })).rejects.toThrow(/11x11/);
    await expect(async () => psnr(good, good, { shave: -1 })).rejects.toThrow(/shave/);
    await expect(async () => resize({ data: new Float32Array(18), shape: [1, 3, 2, 3] }, [0, 2])).rejects.toThrow(/size/);
    await expect(async () => centerCrop(good, 30, 30)).rejects.toThrow(/cannot crop/);
    // Straight to the addon: the native checks hold too.
    const n = native();
    await expect(async () =>
      n.psnr({ data: new Uint8Array(12), shape: [2, 2, 3] }, { data: new Uint8Array(12), shape: [1, 4, 3] }, 0),
    ).rejects.toThrow(/same shape/);
    await expect(async () =>
      n.resizeImages({ data: new Uint8Array(12), shape: [1, 3, 2, 2] } as never, 4, 4, 'bicubic', true),
    ).rejects.toThrow(/Float32Array/);
    await expect(async () => n.resizeImages({ data: new Float32Array(12), shape: [1, 3, 2, 2] }, 4, 4, 'nearest', true)).rejects.toThrow(
      /bilinear/,
    );
    await expect(async () => n.gaussianBlur({ data: new Float32Array(12), shape: [3, 4] }, 1)).rejects.toThrow(/4 dimensions/);
    await expect(async () => n.gaussianBlur({ data: new Float32Array(12), shape: [1, 3, 2, 2] }, 1)).rejects.toThrow(/too small/);
    await expect(async () => n.luma({ data: new Uint8Array(8), shape: [2, 2, 2] })).rejects.toThrow(/RGB/);
  });
});
