// PerceptualSimilarity: distances equal an independent Python torch reference
// for every compare function, with and without channel normalisation and
// learned weights; weights files; finite gradients at all-zero features;
// probing leaves BatchNorm alone; bad inputs are clear errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePng, fromFloatBatch } from '../src/data/image.js';
import { resizeBilinear } from '../src/data/resize.js';
import { LossNetwork } from '../src/loss-network.js';
import { sha256File } from '../src/manifest.js';
import { CHANNEL_NORM_EPS, PerceptualSimilarity, type Compare } from '../src/similarity.js';
import type { FloatTensor } from '../src/tensor.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython } from './helpers/reference.js';

const python = referencePython();
const dir = mkdtempSync(join(tmpdir(), 'dpl-sim-'));
const LAYERS = [1, 4, 7, 11];
let alex: LossNetwork;

beforeAll(async () => {
  alex = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, normalization: 'imagenet' });
});
afterAll(() => {
  alex?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** b: a blended towards other noise, so distances are neither 0 nor huge. */
function pair(n: number): [FloatTensor, FloatTensor] {
  const a = randomImages([n, 3, 64, 64], 11);
  const noise = randomImages([n, 3, 64, 64], 12);
  const b = { data: a.data.map((v, i) => 0.75 * v + 0.25 * noise.data[i]!), shape: a.shape };
  return [a, b];
}

function relErr(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!));
  return got.length === want.length ? worst : Infinity;
}

const COMPARES: Compare[] = ['spatial', 'mean', 'sort', 'spatial+mean', 'spatial+sort'];

describe('distances equal Python torch', () => {
  it.runIf(python)('for every compare, with and without channel norm and learned weights', async () => {
    const [a, b] = pair(3);
    writeFileSync(join(dir, 'a.f32'), a.data);
    writeFileSync(join(dir, 'b.f32'), b.data);
    const ours: Float32Array[] = [];
    const cases: { compare: string; channelNorm: boolean; weights: string | null; out: string }[] = [];
    for (const compare of COMPARES) {
      for (const channelNorm of [true, false]) {
        for (const learned of [false, true]) {
          const k = cases.length;
          let weights: string | undefined;
          if (learned) {
            // Random non-negative weights, through a weights file.
            const channels = [64, 192, 384, 256];
            const branches = compare.split('+');
            const vectors = channels.flatMap((c, li) =>
              branches.map((branch, bi) => ({
                layer: LAYERS[li]!,
                branch,
                values: Array.from(randomImages([c], 100 + k * 10 + li * 2 + bi).data),
              })),
            );
            weights = join(dir, `w${k}.json`);
            writeFileSync(
              weights,
              JSON.stringify({
                format: 'dpl-torch/perceptual-similarity-weights',
                version: 1,
                network: 'alexnet',
                weightsId: alex.weightsId,
                layers: LAYERS,
                compare,
                channelNorm,
                normalization: 'imagenet',
                eps: CHANNEL_NORM_EPS,
                weights: vectors,
              }),
            );
            writeFileSync(join(dir, `w${k}.f32`), Float32Array.from(vectors.flatMap((v) => v.values)));
          }
          const sim = new PerceptualSimilarity({ network: alex, layers: LAYERS, compare, channelNorm, weights });
          ours.push(await sim.distance(a, b));
          sim.dispose();
          cases.push({ compare, channelNorm, weights: learned ? join(dir, `w${k}.f32`) : null, out: join(dir, `d${k}.f32`) });
        }
      }
    }
    const req = {
      arch: 'alexnet',
      pt: join(TEST_MODELS, 'alexnet.pt'),
      a: join(dir, 'a.f32'),
      b: join(dir, 'b.f32'),
      shape: a.shape,
      layers: LAYERS,
      normalization: 'imagenet',
      eps: CHANNEL_NORM_EPS,
      cases,
    };
    const r = spawnSync(python!, [join(import.meta.dirname, 'helpers', 'similarity_reference.py')], {
      input: JSON.stringify(req),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    cases.forEach((c, k) => {
      const buf = readFileSync(c.out);
      const want = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      expect(ours[k]!.length).toBe(3);
      expect(want.every((v) => v > 0)).toBe(true);
      expect(relErr(ours[k]!, want), `${c.compare} norm=${c.channelNorm} learned=${!!c.weights}`).toBeLessThan(1e-5);
    });
  });
});

describe('PerceptualSimilarity', () => {
  it('is zero for identical images, positive otherwise, and order-symmetric', async () => {
    const [a, b] = pair(2);
    const sim = new PerceptualSimilarity({ network: alex, layers: [1, 4] });
    expect(await sim.channels()).toEqual([64, 192]);
    expect((await sim.model()).parameterCount).toBe(0); // nothing learned
    const same = await sim.distance(a, a);
    const ab = await sim.distance(a, b);
    const ba = await sim.distance(b, a);
    expect([...same]).toEqual([0, 0]);
    expect(ab[0]).toBeGreaterThan(0);
    expect(ba[0]).toBeCloseTo(ab[0]!, 6);
    sim.dispose();
  });

  it('saves learned weights and loads them into a matching similarity only', async () => {
    const [a, b] = pair(2);
    const learned = new PerceptualSimilarity({ network: alex, layers: [1, 4], compare: 'spatial+mean', learned: true, seed: 3 });
    // One weight per channel and branch, plus the judge 5->32->32->1 with biases.
    expect((await learned.model()).parameterCount).toBe(2 * (64 + 192) + (5 * 32 + 32) + (32 * 32 + 32) + (32 + 1));
    const file = join(dir, 'learned.json');
    await learned.saveWeights(file);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({
      network: 'alexnet',
      weightsId: alex.weightsId,
      layers: [1, 4],
      compare: 'spatial+mean',
      channelNorm: true,
      normalization: 'imagenet',
    });
    expect(saved.weights.map((w: { branch: string; values: number[] }) => [w.branch, w.values.length])).toEqual([
      ['spatial', 64],
      ['mean', 64],
      ['spatial', 192],
      ['mean', 192],
    ]);
    expect(saved.weights.flatMap((w: { values: number[] }) => w.values).every((v: number) => v >= 0)).toBe(true);
    const loaded = new PerceptualSimilarity({ network: alex, layers: [1, 4], compare: 'spatial+mean', weights: file });
    expect([...(await loaded.distance(a, b))]).toEqual([...(await learned.distance(a, b))]);
    expect(() => new PerceptualSimilarity({ network: alex, layers: [1, 7], compare: 'spatial+mean', weights: file })).toThrow(
      /learned for another setup: layers "1,4" \(here "1,7"\)/,
    );
    expect(() => new PerceptualSimilarity({ network: alex, layers: [1, 4], weights: file })).toThrow(
      /compare "spatial\+mean" \(here "spatial"\)/,
    );
    writeFileSync(join(dir, 'junk.json'), '{"weights": 3}');
    expect(() => new PerceptualSimilarity({ network: alex, layers: [1, 4], weights: join(dir, 'junk.json') })).toThrow(
      /not a dpl-torch similarity weights file/,
    );
    learned.dispose();
    loaded.dispose();
  });

  it('reads image files, resizing to 64x64 bilinear', async () => {
    const [a, b] = pair(1);
    await writePng(join(dir, 'a.png'), fromFloatBatch(a));
    await writePng(join(dir, 'b.png'), fromFloatBatch(b));
    const big = randomImages([1, 3, 80, 80], 5);
    await writePng(join(dir, 'big.png'), fromFloatBatch(big));
    const sim = new PerceptualSimilarity({ network: alex, layers: [1, 4] });
    const fromFiles = await sim.distance(join(dir, 'a.png'), join(dir, 'b.png'));
    const q = (t: FloatTensor) => ({ data: t.data.map((v) => Math.floor(v * 255 + 0.5) / 255), shape: t.shape });
    expect(fromFiles[0]).toBeCloseTo((await sim.distance(q(a), q(b)))[0]!, 5);
    const resized = await resizeBilinear(q(big), 64);
    expect(resized.shape).toEqual([1, 3, 64, 64]);
    expect((await sim.distance(join(dir, 'big.png'), join(dir, 'a.png')))[0]).toBeCloseTo((await sim.distance(resized, q(a)))[0]!, 5);
    sim.dispose();
  });

  it('resizes like interpolate(bilinear, align_corners=False)', async () => {
    const img = { data: new Float32Array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]), shape: [1, 3, 2, 2] };
    const out = await resizeBilinear(img, 4);
    expect([...out.data.slice(0, 16)]).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('keeps BatchNorm statistics when probing channels of a trainable network', async () => {
    const net = await LossNetwork.load('resnet18', { modelsDir: TEST_MODELS });
    const x = randomImages([2, 3, 64, 64], 4);
    const before = await net.features(x, [4]);
    const sim = new PerceptualSimilarity({ network: net, layers: [2, 4], trainable: true, probeSize: 64 });
    expect(await sim.channels()).toEqual([64, 64]);
    const after = await net.features(x, [4]);
    expect(after[0]!.data).toEqual(before[0]!.data);
    sim.dispose();
    net.dispose();
  });

  it('refuses bad inputs with clear errors', async () => {
    const [a] = pair(2);
    const sim = new PerceptualSimilarity({ network: alex, layers: [1] });
    await expect(sim.distance(a, randomImages([2, 3, 32, 32]))).rejects.toThrow(/same shape/);
    await expect(sim.distance(a, randomImages([1, 3, 64, 64]))).rejects.toThrow(/same shape/);
    await expect(sim.distance(a, { data: new Float32Array(3), shape: [1, 3, 64, 64] })).rejects.toThrow(/data has 3 elements/);
    await expect(sim.distance(join(dir, 'missing.png'), join(dir, 'a.png'))).rejects.toThrow(/missing\.png/);
    expect(() => new PerceptualSimilarity({ network: alex, layers: [1], compare: 'median' as Compare })).toThrow(/compare/);
    expect(() => new PerceptualSimilarity({ network: alex, layers: [13] })).toThrow(/past the end/);
    expect(() => new PerceptualSimilarity({ network: {} as LossNetwork, layers: [1] })).toThrow(/network/);
    await expect(sim.saveWeights(join(dir, 'x.json'))).rejects.toThrow(/no learned weights/);
    const model = await sim.model();
    expect(() => model.trainStep(a, a, a, { data: new Float32Array(2), shape: [2] }, 1e-3)).toThrow(/learned weights/);
    sim.dispose();
    await expect(sim.distance(a, a)).rejects.toThrow(/disposed/);
  });
});

describe('training at all-zero features', () => {
  it.runIf(python)('keeps gradients finite when the trunk trains (tune, scratch)', async () => {
    // A loss network whose features are all zero: every channel at every position.
    const pt = join(dir, 'zeros.pt');
    const script = `
import torch
seq = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(4, 4, 1))
for p in seq.parameters():
    torch.nn.init.zeros_(p)
torch.jit.script(seq).save(${JSON.stringify(pt)})
print(torch.__version__)`;
    const r = spawnSync(python!, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        version: 1,
        networks: {
          zeros: {
            architecture: 'zeros',
            file: 'zeros.pt',
            children: 2,
            weights: 'random',
            seed: 0,
            torch: r.stdout.trim(),
            torchvision: '0',
            sha256: await sha256File(pt),
          },
        },
      }),
    );
    const net = await LossNetwork.load(pt);
    const x = randomImages([4, 3, 16, 16], 8);
    const y = randomImages([4, 3, 16, 16], 9);
    expect((await net.features(x, [1]))[0]!.data.every((v) => v === 0)).toBe(true);
    for (const compare of ['spatial', 'spatial+mean', 'sort'] as const) {
      const sim = new PerceptualSimilarity({ network: net, layers: [0, 1], compare, trainable: true, probeSize: 16 });
      const model = await sim.model();
      const step = await model.trainStep(x, y, x, { data: new Float32Array([1, 0, 0.5, 1]), shape: [4] }, 1e-3);
      expect(Number.isFinite(step.loss)).toBe(true);
      expect(Number.isFinite(step.gradNorm), `grad norm ${step.gradNorm} (${compare})`).toBe(true);
      const d = await sim.distance(x, y);
      expect([...d]).toEqual([0, 0, 0, 0]);
      sim.dispose();
    }
    net.dispose();
  });
});
