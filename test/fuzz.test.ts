// 10,000 seeded random calls across the native boundary, through the public API and
// the raw native handles: random shapes, element types, NaN, disposed objects, bad
// layers and garbage arguments, many in flight at once. Each must resolve or throw /
// reject with an Error (a dpl-torch error with a code where it comes from our checks),
// the process must stay alive, and resident memory must stay within a fixed budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/data/seeded.js';
import { isDplError } from '../src/errors.js';
import { gaussianBlur, psnr, resize, ssim } from '../src/image-ops.js';
import { LossNetwork } from '../src/loss-network.js';
import { native, type NativeLossNetwork } from '../src/native.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { PerceptualSimilarity } from '../src/similarity.js';
import type { ByteImage, FloatTensor } from '../src/tensor.js';
import { TEST_MODELS } from './helpers/models.js';

const CALLS = 10_000;
const IN_FLIGHT = 64;

let alex: LossNetwork;
let squeeze: LossNetwork;
let gone: LossNetwork;
let sim: PerceptualSimilarity;

beforeAll(async () => {
  alex = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS });
  squeeze = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS });
  gone = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS });
  gone.dispose();
  sim = await PerceptualSimilarity.create({ network: alex, layers: [1, 4] });
});
afterAll(() => {
  sim.dispose();
  alex.dispose();
  squeeze.dispose();
});

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A FloatTensor, mostly well-formed and small; sometimes wrong in one way. */
function floatTensor(r: Rand): unknown {
  const shape = [int(r, 1, 2), r() < 0.9 ? 3 : pick(r, [1, 4]), int(r, 8, 40), int(r, 8, 40)];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n).map(() => r());
  switch (int(r, 0, 24)) {
    case 0:
      data[int(r, 0, n - 1)] = NaN;
      return { data, shape };
    case 1:
      return { data: new Float64Array(n), shape };
    case 2:
      return { data, shape: [...shape, 1] };
    case 3:
      return { data: data.subarray(1), shape };
    case 4:
      return { data, shape: shape.map((d, i) => (i === 2 ? -d : d)) };
    case 5:
      return pick(r, [null, undefined, 42, 'x', {}, [], { data }, { shape }]);
    case 6:
      return { data, shape: [shape[0], shape[1], shape[2] + 0.5, shape[3]] };
    default:
      return { data, shape };
  }
}

function byteImage(r: Rand): unknown {
  const shape = [int(r, 1, 24), int(r, 1, 24), pick(r, [3, 3, 3, 1])];
  const data = new Uint8Array(shape[0]! * shape[1]! * shape[2]!).map(() => int(r, 0, 255));
  return int(r, 0, 9) === 0 ? { data: new Float32Array(data), shape } : { data, shape };
}

const layers = (r: Rand): unknown =>
  r() < 0.7 ? pick(r, [[int(r, 0, 4)], [1, 4], [0]]) : pick(r, [[int(r, 0, 20)], [], [-1], ['relu1'], ['nope'], [1.5], 'x', [NaN]]);

/** One random call; resolves to what it settled with. */
function call(r: Rand): Promise<unknown> {
  const net = pick(r, [alex, alex, squeeze, gone]);
  const raw = net.disposed ? (gone.handle as NativeLossNetwork) : net.handle;
  const a = floatTensor(r);
  const b = r() < 0.8 ? a : floatTensor(r);
  const ops: (() => unknown)[] = [
    () => net.features(a as FloatTensor, layers(r) as number[]),
    () => perceptualLoss(a as FloatTensor, b as FloatTensor, { network: net, layers: layers(r) as number[], grad: r() < 0.5 }),
    () =>
      perceptualLoss(a as FloatTensor, b as FloatTensor, { network: net, layers: [1], distance: pick(r, ['mse', 'l1', 'l2']) as 'mse' }),
    () => raw.features(a as FloatTensor, layers(r) as number[]),
    () => raw.perceptualLoss(a as FloatTensor, b as FloatTensor, layers(r) as number[], pick(r, ['mse', 'l1', 7]) as 'mse', r() < 0.5),
    () => (raw.features as (...x: unknown[]) => unknown)(...[a, layers(r), 1, 2].slice(0, int(r, 0, 4))),
    () => resize(a as FloatTensor, [int(r, -2, 30), int(r, 0, 30)], { mode: pick(r, ['bilinear', 'bicubic', 'nearest']) as 'bilinear' }),
    () => native().resizeImages(a as FloatTensor, int(r, -1, 20), int(r, -1, 20), pick(r, ['bilinear', 'cubic']), r() < 0.5),
    () => gaussianBlur(a as FloatTensor, { sigma: pick(r, [0.5, 1, 0, -1, NaN]) }),
    () => psnr(byteImage(r) as ByteImage, byteImage(r) as ByteImage, { shave: int(r, -1, 4) }),
    () => ssim(byteImage(r) as ByteImage, byteImage(r) as ByteImage),
    () => native().ssim(byteImage(r) as ByteImage, byteImage(r) as ByteImage, int(r, -1, 30)),
    () => sim.distance(a as FloatTensor, b as FloatTensor),
    () => (native().createSimilarity as (...x: unknown[]) => unknown)(raw, pick(r, [{}, null, { layers: [1], compare: 'spatial' }])),
  ];
  try {
    return Promise.resolve(pick(r, ops)()).then(
      (v) => ({ ok: true, v }),
      (e: unknown) => ({ ok: false, e }),
    );
  } catch (e) {
    return Promise.resolve({ ok: false, e, sync: true });
  }
}

describe('the native boundary under random calls', () => {
  it(`settles ${CALLS.toLocaleString('en')} random calls with a value or an Error, within a memory budget`, async () => {
    const r = mulberry32(20261201);
    const counts = { resolved: 0, rejected: 0, coded: 0 };
    const notErrors: unknown[] = [];
    let rssAfterWarmup = 0;
    let rssMax = 0;
    for (let done = 0; done < CALLS; done += IN_FLIGHT) {
      const settled = (await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, CALLS - done) }, () => call(r)))) as {
        ok: boolean;
        e?: unknown;
      }[];
      for (const s of settled) {
        if (s.ok) counts.resolved++;
        else {
          counts.rejected++;
          if (!(s.e instanceof Error)) notErrors.push(s.e);
          if (isDplError(s.e)) counts.coded++;
        }
      }
      const rss = process.memoryUsage().rss;
      if (done === 20 * IN_FLIGHT) rssAfterWarmup = rss;
      rssMax = Math.max(rssMax, rss);
    }
    expect(notErrors).toEqual([]);
    // Both outcomes happen often, and most refusals come from our checks (with a code).
    expect(counts.resolved).toBeGreaterThan(CALLS / 10);
    expect(counts.rejected).toBeGreaterThan(CALLS / 10);
    expect(counts.coded / counts.rejected).toBeGreaterThan(0.9);
    // The process is alive and still computes the same answer.
    const x = { data: new Float32Array(3 * 32 * 32).fill(0.5), shape: [1, 3, 32, 32] };
    const f1 = await alex.features(x, [4]);
    const f2 = await alex.features(x, [4]);
    expect(f1[0]!.data).toEqual(f2[0]!.data);
    expect(native().pendingJobs()).toBe(0);
    // Memory: growth after warm-up bounded (the inputs are small; a leak of even a few
    // KiB per call would pass 256 MiB over the run).
    expect(rssMax - rssAfterWarmup, `RSS ${Math.round(rssAfterWarmup / 2 ** 20)} -> max ${Math.round(rssMax / 2 ** 20)} MiB`).toBeLessThan(
      256 * 2 ** 20,
    );
  }, 300_000);
});
