// The autoencoder and its probes against Python PyTorch written from the spec
// (bench/reference_step.py) with the same state dicts: shapes and parameter
// counts at 64 and 96, forward outputs, one training step through a loss
// network layer (and the pixel baseline), and one probe epoch in the same
// order. Also the probes' early stopping on a scripted loss sequence, the NaN
// guard, and clear errors on bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoencoderTrainer } from '../src/benchmarks/autoencoder-trainer.js';
import { CodeSet, fitProbe, Probe, PROBES, trainProbe } from '../src/benchmarks/autoencoder-probes.js';
import { epochOrder, mulberry32 } from '../src/data/seeded.js';
import { LossNetwork } from '../src/loss-network.js';
import type { ByteBatch, FloatTensor } from '../src/tensor.js';
import { expectAdamStepClose } from './helpers/adam-step.js';
import { aeReference, readF32, readState, stateDistance, writeState } from './helpers/autoencoder-reference.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython, relativeError } from './helpers/reference.js';

const python = referencePython();
const tmp = mkdtempSync(join(tmpdir(), 'dpl-ae-'));
let alexnet: LossNetwork;
beforeAll(async () => {
  alexnet = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, normalization: 'none' });
});
afterAll(() => {
  alexnet.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

function byteImages(shape: [number, number, number, number], seed: number): ByteBatch {
  const next = mulberry32(seed);
  return { data: Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(next() * 256)), shape };
}

let dirs = 0;
const dir = (name: string) => join(tmp, `${name}-${++dirs}`);

/** The spec's parameter count, summed from its layer list (independently of both implementations). */
function specParameters(side: number): number {
  const g = (side - 64) / 16 + 1;
  let e = side;
  for (let i = 0; i < 4; i++) e = Math.floor((e - 4) / 2) + 1;
  const conv = (i: number, o: number, k: number) => i * o * k * k + o;
  const bn = (c: number) => 2 * c;
  const enc =
    conv(3, 32, 4) + conv(32, 64, 4) + conv(64, 128, 4) + conv(128, 256, 4) + bn(32) + bn(64) + bn(128) + bn(256) + 256 * e * e * 64 + 64;
  const dec =
    64 * 1024 * g * g + 1024 * g * g + conv(1024, 128, 5) + conv(128, 64, 5) + conv(64, 32, 6) + conv(32, 3, 6) + bn(128) + bn(64) + bn(32);
  return enc + dec;
}

describe('the autoencoder against Python from the spec', () => {
  it.each([
    { side: 64, pad: 0, params: 4_382_723 },
    { side: 64, pad: 16, params: 4_382_723 },
    { side: 96, pad: 0, params: 5_111_811 },
  ])('side $side (stored images padded by $pad): shapes, $params parameters, eval outputs within 1e-5', async ({ side, pad, params }) => {
    expect(specParameters(side)).toBe(params);
    const t = await AutoencoderTrainer.create(null, { side, pad, seed: 3 });
    expect(t.parameterCount).toBe(params);
    const stored = side - 2 * pad;
    const x = byteImages([3, 3, stored, stored], side + pad);
    const codes = await t.encode(x);
    expect(codes.shape).toEqual([3, 64]);
    const r = await t.evaluate(x, { images: true });
    expect(r.output!.shape).toEqual([3, 3, side, side]);
    expect(r.input!.shape).toEqual([3, 3, side, side]);
    expect(r.output!.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(r.losses).toHaveLength(3);
    if (!python) return;
    const d = dir('forward');
    writeFileSync(join(d + '.u8'), x.data);
    const ref = aeReference<{ parameters: number }>(python, {
      op: 'forward',
      side,
      pad,
      state: writeState(join(d, 'state'), await t.state()),
      input: d + '.u8',
      shape: x.shape,
      out: join(d, 'state'),
    });
    expect(ref.parameters).toBe(params);
    const pyOut = readF32(join(d, 'state', 'output.f32'), r.output!.shape);
    const pyCodes = readF32(join(d, 'state', 'codes.f32'), codes.shape);
    expect(Math.max(...pyOut.data.map((v, i) => Math.abs(v - r.output!.data[i]!)))).toBeLessThan(1e-5);
    expect(relativeError(codes.data, pyCodes.data)).toBeLessThan(1e-5);
    // The per-image loss is the pixel MSE of the reconstruction against the padded input.
    const n = 3 * side * side;
    let mse = 0;
    for (let i = 0; i < n; i++) mse += (pyOut.data[i]! - r.input!.data[i]!) ** 2;
    expect(r.losses[0]!).toBeCloseTo(mse / n, 6);
    t.dispose();
  });

  it.each([
    { what: 'alexnet layer 4', layer: 4 as number | null },
    { what: 'the pixel baseline', layer: null },
  ])('one Adam step on $what matches Python within 1e-5 (SVHN-sized batch, padded)', async ({ layer }) => {
    const t = await AutoencoderTrainer.create(layer === null ? null : alexnet, { side: 64, pad: 16, layer: layer ?? 0, seed: 4 });
    const x = byteImages([4, 3, 32, 32], 11);
    const before = await t.state();
    const loss = await t.step(x);
    const after = await t.state();
    expect(stateDistance(after, before).max).toBeGreaterThan(1e-4); // the step moved the weights
    const g = await t.gradientReport();
    expect(g.modelParametersWithGrad).toBe(g.modelParameters);
    expect(g.modelParameters).toBeGreaterThan(0);
    expect(g.lossNetworkParametersWithGrad).toBe(0);
    t.dispose();
    if (!python) return;
    const d = dir('step');
    writeFileSync(d + '.u8', x.data);
    const ref = aeReference<{ loss: number }>(python, {
      op: 'step',
      side: 64,
      pad: 16,
      state: writeState(join(d, 'before'), before),
      input: d + '.u8',
      shape: x.shape,
      out: join(d, 'after'),
      ...(layer === null ? {} : { arch: 'alexnet', pt: alexnet.path, layer }),
    });
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    const py = readState(join(d, 'after'));
    expect(Object.keys(py).sort()).toEqual(Object.keys(after).sort());
    // A convolution's bias right before BatchNorm has no effect and a true gradient of zero (BatchNorm takes
    // the batch mean out). Adam's first step turns its float-noise gradient into a step of up to lr, which no
    // two implementations share: those biases are held to that bound, every other tensor to expectAdamStepClose.
    const preBn = new Set([
      'encoder.0.bias',
      'encoder.3.bias',
      'encoder.6.bias',
      'encoder.9.bias',
      'decoder.3.bias',
      'decoder.6.bias',
      'decoder.9.bias',
    ]);
    const pick = (s: Record<string, FloatTensor>, keep: boolean) =>
      Object.fromEntries(Object.entries(s).filter(([k]) => preBn.has(k) === keep));
    expectAdamStepClose(stateDistance(pick(py, false), after), 1e-3);
    expect(stateDistance(pick(py, true), before).max).toBeLessThanOrEqual(1e-3 * (1 + 1e-6));
    expect(stateDistance(pick(after, true), before).max).toBeLessThanOrEqual(1e-3 * (1 + 1e-6));
  });

  it('loses less on a fixed batch as it trains; checkpoints restore model and Adam exactly', async () => {
    const t = await AutoencoderTrainer.create(alexnet, { side: 64, pad: 16, layer: 4, seed: 5 });
    const x = byteImages([4, 3, 32, 32], 12);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push(await t.step(x));
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    await t.save(join(tmp, 'ae.pt'));
    const u = await AutoencoderTrainer.create(alexnet, { side: 64, pad: 16, layer: 4, seed: 6 });
    expect(await u.load(join(tmp, 'ae.pt'))).toBe(true);
    expect(await u.step(x)).toBe(await t.step(x));
    expect(stateDistance(await u.state(), await t.state()).max).toBe(0);
    await t.save(join(tmp, 'ae-model.pt'), false);
    expect(await u.load(join(tmp, 'ae-model.pt'))).toBe(false);
    const stl = await AutoencoderTrainer.create(null, { side: 96 });
    await expect(stl.load(join(tmp, 'ae.pt'))).rejects.toThrow(/saved with side 64, this autoencoder has side 96/);
    await expect(stl.load(join(tmp, 'missing.pt'))).rejects.toThrow(/cannot read checkpoint/);
    [t, u, stl].forEach((m) => m.dispose());
  });
});

describe('probes', () => {
  function codes(n: number, seed: number): { codes: FloatTensor; labels: Uint8Array } {
    const c = randomImages([n, 64], seed);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    // Make the labels learnable: a bump in the code dimension of the label.
    for (let i = 0; i < n; i++) c.data[i * 64 + labels[i]!]! += 2;
    return { codes: c, labels };
  }

  it('one epoch (native call) matches Python with the same init and order', async () => {
    const { codes: c, labels } = codes(150, 7);
    const set = await CodeSet.create(c, labels);
    expect(set.size).toBe(150);
    const probe = await Probe.create({ hidden: [32, 32], seed: 8 });
    expect(probe.parameterCount).toBe(64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10);
    const before = await probe.state();
    expect(Object.keys(before).sort()).toEqual([
      'layers.0.bias',
      'layers.0.weight',
      'layers.2.bias',
      'layers.2.weight',
      'layers.4.bias',
      'layers.4.weight',
    ]);
    const order = Int32Array.from(epochOrder(150, 9, 0));
    const loss = await probe.trainEpoch(set, order, 64);
    const metrics = await probe.evaluate(set);
    const after = await probe.state();
    if (python) {
      const d = dir('probe');
      writeFileSync(d + '.codes', c.data);
      writeFileSync(d + '.labels', labels);
      writeFileSync(d + '.order', order);
      const ref = aeReference<{ loss: number; metrics: typeof metrics }>(python, {
        op: 'probe_epoch',
        hidden: [32, 32],
        state: writeState(join(d, 'before'), before),
        codes: d + '.codes',
        codesShape: c.shape,
        labels: d + '.labels',
        order: d + '.order',
        batch: 64,
        out: join(d, 'after'),
      });
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      expect(stateDistance(readState(join(d, 'after')), after).max).toBeLessThan(1e-5);
      for (const k of ['loss', 'l1', 'l2'] as const) expect(Math.abs(metrics[k] - ref.metrics[k]) / ref.metrics[k]).toBeLessThan(1e-5);
      expect(metrics.accuracy).toBe(ref.metrics.accuracy);
    }
    // The metrics' definitions, from the outputs of a probe whose weights are zero (output 0 for every sample).
    const zero = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, { data: new Float32Array(v.data.length), shape: v.shape }]));
    await probe.setState(zero);
    expect(await probe.evaluate(set)).toEqual({ loss: 0.1, l1: 1, l2: 1, accuracy: 15 / 150 }); // argmax of ties is class 0
    set.dispose();
    probe.dispose();
  });

  it('early-stops and keeps the best epoch on a scripted loss sequence (a tie is no improvement)', async () => {
    const vals = [5, 4, 4.5, 3, 3, 3.5, 4, 2, 9];
    const kept: number[] = [];
    let e = 0;
    const fit = await fitProbe(
      { train: async () => 0, validate: async () => vals[e++]!, keep: async () => void kept.push(e) },
      { maxEpochs: 50, patience: 3 },
    );
    expect(kept).toEqual([1, 2, 4]);
    expect(fit).toMatchObject({ epochs: 7, best: { epoch: 4, value: 3 }, stoppedEarly: true });
    e = 0;
    const capped = await fitProbe(
      { train: async () => 0, validate: async () => vals[e++]!, keep: async () => {} },
      { maxEpochs: 2, patience: 3 },
    );
    expect(capped).toMatchObject({ epochs: 2, best: { epoch: 2, value: 4 }, stoppedEarly: false });
  });

  it('trainProbe scores the kept epoch: its validation loss is the lowest seen', async () => {
    const a = codes(200, 1);
    const b = codes(60, 2);
    const t = codes(60, 3);
    const sets = {
      train: await CodeSet.create(a.codes, a.labels),
      val: await CodeSet.create(b.codes, b.labels),
      test: await CodeSet.create(t.codes, t.labels),
    };
    const o = { inputs: 64, seed: 4, lr: 1e-2, batch: 32, maxEpochs: 60, patience: 4, device: 'cpu' };
    const r = await trainProbe(PROBES[3]!, sets, o);
    expect(r.valLoss).toHaveLength(r.epochs);
    expect(r.bestEpoch).toBe(r.valLoss.indexOf(Math.min(...r.valLoss)) + 1);
    expect(Math.abs(r.val.loss - Math.min(...r.valLoss))).toBeLessThan(1e-12);
    expect(r.test.accuracy).toBeGreaterThan(0.5); // learnable codes
    // Seeded: the same probe again gives the same result.
    expect((await trainProbe(PROBES[3]!, sets, o)).test).toEqual(r.test);
    Object.values(sets).forEach((s) => s.dispose());
  });
});

describe('guards and bad input', () => {
  it('refuses a NaN loss before the optimiser step and leaves the weights as they were', async () => {
    const t = await AutoencoderTrainer.create(null, { side: 64, seed: 1 });
    const state = await t.state();
    state['decoder.12.bias']!.data[0] = NaN;
    await t.setState(state);
    await expect(t.step(byteImages([2, 3, 64, 64], 1))).rejects.toThrow(/the training loss is -?nan; the step was not applied/);
    const after = await t.state();
    expect(Number.isNaN(after['decoder.12.bias']!.data[0])).toBe(true);
    expect(after['encoder.0.weight']!.data).toEqual(state['encoder.0.weight']!.data);
    t.dispose();

    const probe = await Probe.create({ hidden: [8] });
    const ps = await probe.state();
    ps['layers.0.weight']!.data[0] = Infinity;
    await probe.setState(ps);
    const set = await CodeSet.create(randomImages([4, 64], 1), new Uint8Array([0, 1, 2, 3]));
    await expect(probe.trainEpoch(set, Int32Array.from([0, 1, 2, 3]), 2)).rejects.toThrow(/the step was not applied/);
    probe.dispose();
    set.dispose();
  });

  it('gives JS errors naming the problem', async () => {
    await expect(AutoencoderTrainer.create(null, { side: 72 })).rejects.toThrow(/64 \+ 16k/);
    await expect(AutoencoderTrainer.create(alexnet, { layer: 13 })).rejects.toThrow(/past the end/);
    const t = await AutoencoderTrainer.create(null, { side: 64, pad: 16 });
    await expect(t.step(byteImages([2, 3, 64, 64], 1))).rejects.toThrow(/\[N, 3, 32, 32\].*padding 16/);
    await expect(t.step({ data: new Float32Array(2 * 3 * 32 * 32), shape: [2, 3, 32, 32] } as never)).rejects.toThrow(/Uint8Array/);
    const set = await CodeSet.create(randomImages([4, 64], 1), new Uint8Array([0, 1, 2, 3]));
    const probe = await Probe.create({ hidden: [] });
    await expect(probe.trainEpoch(set, Int32Array.from([0, 4]), 2)).rejects.toThrow(/outside 0..3/);
    await expect(CodeSet.create(randomImages([4, 64], 1), new Uint8Array([0, 1, 2, 10]))).rejects.toThrow(/labels must lie in 0..9/);
    await expect(CodeSet.create(randomImages([4, 32], 1), new Uint8Array(4)).then((s) => probe.evaluate(s))).rejects.toThrow(
      /32 dimensions, the probe takes 64/,
    );
    t.dispose();
    await expect(async () => t.step(byteImages([1, 3, 32, 32], 1))).rejects.toThrow(/disposed/);
    probe.dispose();
    set.dispose();
  });
});
