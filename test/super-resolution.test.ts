// The SR transformation network and its trainer: spec shapes and parameter
// counts, seeded init, loss going down on a fixed batch, gradients only in the
// SR network, checkpoints round-trip, and clear errors on bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuperResolutionTrainer } from '../src/benchmarks/super-resolution-trainer.js';
import { toFloatBatch } from '../src/data/image.js';
import { makeSrPair } from '../src/data/sr-pairs.js';
import { syntheticImage } from '../src/data/synthetic-sr.js';
import { LossNetwork } from '../src/loss-network.js';
import { native } from '../src/native.js';
import type { FloatTensor } from '../src/tensor.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, relativeError } from './helpers/reference.js';

let vgg: LossNetwork;
const tmp = mkdtempSync(join(tmpdir(), 'dpl-sr-'));
beforeAll(async () => {
  vgg = await LossNetwork.load('vgg16', { modelsDir: TEST_MODELS, normalization: 'none' });
});
afterAll(() => {
  vgg.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('transformation network', () => {
  it('x4: 401,865 parameters, 72x72 -> 288x288 in [0,1]', async () => {
    const t = await SuperResolutionTrainer.create(vgg, { factor: 4, layer: 3 });
    expect(t.parameterCount).toBe(401_865);
    const { output } = await t.evaluate(randomImages([1, 3, 72, 72], 1));
    expect(output.shape).toEqual([1, 3, 288, 288]);
    expect(output.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    t.dispose();
  });

  it('x8: 438,921 parameters, 9x9 -> 72x72; seeded init is reproducible', async () => {
    const [a, b, c] = await Promise.all([
      SuperResolutionTrainer.create(vgg, { factor: 8, layer: 3, seed: 5 }),
      SuperResolutionTrainer.create(vgg, { factor: 8, layer: 3, seed: 5 }),
      SuperResolutionTrainer.create(vgg, { factor: 8, layer: 3, seed: 6 }),
    ]);
    expect(a.parameterCount).toBe(438_921);
    const x = randomImages([2, 3, 9, 9], 2);
    const [oa, ob, oc] = await Promise.all([a.evaluate(x), b.evaluate(x), c.evaluate(x)]);
    expect(oa.output.shape).toEqual([2, 3, 72, 72]);
    expect(relativeError(oa.output.data, ob.output.data)).toBe(0);
    expect(relativeError(oa.output.data, oc.output.data)).toBeGreaterThan(1e-3);
    [a, b, c].forEach((t) => t.dispose());
  });
});

describe('training', () => {
  let lr: FloatTensor;
  let hr: FloatTensor;
  beforeAll(async () => {
    const pairs = await Promise.all([0, 1, 2, 3].map((s) => makeSrPair(syntheticImage(40, 52, s), { hrSize: 32, factor: 4 })));
    lr = toFloatBatch(pairs.map((p) => p.lr));
    hr = toFloatBatch(pairs.map((p) => p.hr));
  });

  it('lowers the loss on a fixed batch; gradients reach only the SR network', async () => {
    const probe = randomImages([1, 3, 32, 32], 9);
    const before = (await vgg.features(probe, [3]))[0]!;
    const t = await SuperResolutionTrainer.create(vgg, { factor: 4, layer: 3, seed: 1 });
    const losses: number[] = [];
    for (let i = 0; i < 12; i++) losses.push(await t.step(lr, hr));
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
    const g = await t.gradientReport();
    expect(g.modelParametersWithGrad).toBe(g.modelParameters);
    expect(g.modelParameters).toBeGreaterThan(0);
    expect(g.lossNetworkParametersWithGrad).toBe(0);
    const after = (await vgg.features(probe, [3]))[0]!;
    expect(relativeError(after.data, before.data)).toBe(0);
    // Feature loss per image comes back with evaluate.
    const r = await t.evaluate(lr, hr);
    expect(r.featureLoss).toHaveLength(4);
    expect(r.featureLoss!.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    t.dispose();
  });

  it('checkpoints restore the network and Adam state exactly', async () => {
    const a = await SuperResolutionTrainer.create(vgg, { factor: 4, layer: 3, seed: 2 });
    await a.step(lr, hr);
    await a.save(join(tmp, 'ck.pt'));
    const b = await SuperResolutionTrainer.create(vgg, { factor: 4, layer: 3, seed: 3 });
    expect(await b.load(join(tmp, 'ck.pt'))).toBe(true);
    // The same next step from the same state gives the same loss and output.
    expect(await b.step(lr, hr)).toBe(await a.step(lr, hr));
    const [oa, ob] = [await a.evaluate(lr), await b.evaluate(lr)];
    expect(relativeError(ob.output.data, oa.output.data)).toBe(0);
    await a.save(join(tmp, 'model.pt'), false);
    expect(await b.load(join(tmp, 'model.pt'))).toBe(false);
    const x8 = await SuperResolutionTrainer.create(vgg, { factor: 8, layer: 3 });
    await expect(x8.load(join(tmp, 'model.pt'))).rejects.toThrow(/saved with factor 4, this super-resolution network has factor 8/);
    await expect(x8.load(join(tmp, 'missing.pt'))).rejects.toThrow(/cannot read checkpoint/);
    [a, b, x8].forEach((t) => t.dispose());
  });
});

describe('bad input', () => {
  it('gives JS errors naming the problem', async () => {
    const t = await SuperResolutionTrainer.create(vgg, { factor: 4, layer: 3 });
    const lr = randomImages([2, 3, 8, 8], 1);
    await expect(t.step(lr, randomImages([2, 3, 30, 32], 1))).rejects.toThrow(/upscaled by 4/);
    await expect(t.step(lr, randomImages([1, 3, 32, 32], 1))).rejects.toThrow(/same batch size/);
    await expect(t.step(randomImages([1, 3, 4, 4], 1), randomImages([1, 3, 16, 16], 1))).rejects.toThrow(/at least 5x5/);
    await expect(async () => t.step({ data: new Uint8Array(384), shape: [2, 3, 8, 8] } as never, lr)).rejects.toThrow(/Float32Array/);
    await expect(t.evaluate(randomImages([2, 1, 8, 8], 1))).rejects.toThrow(/\[N, 3, H, W\]/);
    const nan = randomImages([2, 3, 8, 8], 1);
    nan.data[3] = NaN;
    await expect(t.evaluate(nan)).rejects.toThrow(/NaN/);
    await expect(SuperResolutionTrainer.create(vgg, { factor: 3 as 4, layer: 3 })).rejects.toThrow(/factor/);
    await expect(SuperResolutionTrainer.create(vgg, { layer: 99 })).rejects.toThrow(/past the end/);
    await expect(async () =>
      native().createSuperResolutionTrainer(vgg.handle, { factor: 3, layer: 0, seed: 0, lr: 1e-3, pixelWeight: 0, tvWeight: 0 }),
    ).rejects.toThrow(/factor must be 4 or 8/);
    await expect(async () => native().createSuperResolutionTrainer({} as never, {} as never)).rejects.toThrow(/LossNetwork/);
    t.dispose();
    await expect(async () => t.step(lr, lr)).rejects.toThrow(/disposed/);
  });
});
