// The training steps against Python PyTorch written from the specs
// (bench/reference_step.py's SrNet/SrStep and SimStep, driven by
// test/helpers/train_reference.py), from the same initial state on the same
// batches: the super-resolution network's forward (x4, x8) and one Adam step,
// and three similarity steps of lin, tune and scratch (loss, channel weights,
// judge, trunk and its BatchNorm statistics), each within 1e-5.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SuperResolutionTrainer } from '../src/benchmarks/super-resolution-trainer.js';
import { LossNetwork } from '../src/loss-network.js';
import { PerceptualSimilarity } from '../src/similarity.js';
import type { FloatTensor } from '../src/tensor.js';
import { expectAdamStepClose } from './helpers/adam-step.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython } from './helpers/reference.js';
import { trainReference as trainReferencePy } from './helpers/train-reference.js';

const python = referencePython();
const root = mkdtempSync(join(tmpdir(), 'dpl-train-ref-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const trainReference = <T>(body: Record<string, unknown>): T => trainReferencePy<T>(python!, body);

function write(dir: string, name: string, t: FloatTensor | Float32Array): string {
  const path = join(dir, `${name}.f32`);
  writeFileSync(path, 'data' in t ? t.data : t);
  return path;
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

describe.skipIf(!python)('super-resolution network and step against Python', () => {
  it.each([4, 8] as const)(
    'x%i: eval forward before (within 1e-5) and after one Adam step, and the updated parameters (expectAdamStepClose)',
    async (factor) => {
      const dir = mkdtempSync(join(root, `sr${factor}-`));
      const hrSide = 48;
      const lr = randomImages([2, 3, hrSide / factor, hrSide / factor], 40 + factor);
      const hr = randomImages([2, 3, hrSide, hrSide], 50 + factor);
      const net = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, normalization: 'none' });
      const trainer = await SuperResolutionTrainer.create(net, { factor, layer: 4, seed: 7 });
      try {
        await trainer.save(join(dir, 'init.pt'), false);
        const before = (await trainer.evaluate(lr)).output;
        const loss = await trainer.step(lr, hr);
        const after = (await trainer.evaluate(lr)).output;
        await trainer.save(join(dir, 'stepped.pt'), false);
        const ref = trainReference<{
          loss: number;
          params: number;
          paramsOver: number;
          paramsTotal: number;
          buffers: number;
          moved: number;
        }>({
          op: 'sr',
          factor,
          arch: 'alexnet',
          pt: net.path,
          layer: 4,
          init: join(dir, 'init.pt'),
          stepped: join(dir, 'stepped.pt'),
          lr: write(dir, 'lr', lr),
          lrShape: lr.shape,
          hr: write(dir, 'hr', hr),
          hrShape: hr.shape,
          out: dir,
        });
        expect(before.shape).toEqual([2, 3, hrSide, hrSide]);
        expect(maxAbsDiff(before.data, readF32(join(dir, 'eval_before.f32')))).toBeLessThan(1e-5);
        expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5 * Math.max(1, ref.loss));
        expect(ref.moved).toBeGreaterThan(5e-4); // Adam's first step moves parameters by about lr: the comparison is not vacuous
        expectAdamStepClose({ max: ref.params, over: ref.paramsOver, total: ref.paramsTotal }, 1e-3);
        expect(ref.buffers).toBeLessThan(1e-5); // BatchNorm running statistics of the train-mode step
        // Eval mode after the step: BatchNorm on the updated running statistics. The outputs inherit the few
        // parameter elements Adam's first step amplifies (expectAdamStepClose), so they are held to lr/10.
        expect(maxAbsDiff(after.data, readF32(join(dir, 'eval_after.f32')))).toBeLessThan(1e-4);
        expect(maxAbsDiff(after.data, before.data)).toBeGreaterThan(1e-4);
      } finally {
        trainer.dispose();
        net.dispose();
      }
    },
  );
});

// lin and tune on resnet18 (BatchNorm); scratch trains a random-init trunk (the test exports are seeded random inits).
const CASES: Record<string, { arch: string; layers: number[] }> = {
  lin: { arch: 'resnet18', layers: [2, 4] },
  tune: { arch: 'resnet18', layers: [2, 4] },
  scratch: { arch: 'alexnet', layers: [1, 4] },
};

interface SimStepRow {
  loss: number;
  weights: number;
  judge: number;
  trunk: number;
  buffers: number;
  minWeight: number;
}

describe.skipIf(!python)('similarity training steps against Python', () => {
  it.each(Object.keys(CASES))('%s: loss, weights, judge and trunk after each of 3 steps within 1e-5', async (variant) => {
    const { arch, layers } = CASES[variant]!;
    const dir = mkdtempSync(join(root, `sim-${variant}-`));
    const shape = [4, 3, 32, 32];
    const net = await LossNetwork.load(arch, { modelsDir: TEST_MODELS, normalization: 'imagenet' });
    const sim = await PerceptualSimilarity.create({ network: net, layers, learned: true, trainable: variant !== 'lin', seed: 11 });
    try {
      const model = await sim.model();
      const probe = randomImages([2, 3, 32, 32], 60);
      const trunkBefore = await net.features(probe, layers);
      await model.saveCheckpoint(join(dir, 'init.pt'), '');
      const batches: Record<string, string>[] = [];
      const losses: number[] = [];
      const steps: string[] = [];
      for (let s = 0; s < 3; s++) {
        const [ref, p0, p1] = [0, 1, 2].map((k) => randomImages(shape, 100 + 10 * s + k)) as [FloatTensor, FloatTensor, FloatTensor];
        const judge: FloatTensor = { data: randomImages([4], 200 + s).data, shape: [4] };
        batches.push({
          ref: write(dir, `ref${s}`, ref),
          p0: write(dir, `p0${s}`, p0),
          p1: write(dir, `p1${s}`, p1),
          judge: write(dir, `judge${s}`, judge),
        });
        losses.push((await model.trainStep(ref, p0, p1, judge, 1e-3)).loss);
        for (const w of await model.getWeights()) expect(Math.min(...w.data)).toBeGreaterThanOrEqual(0);
        steps.push(join(dir, `step${s}.pt`));
        await model.saveCheckpoint(steps[s]!, '');
      }
      const evalA = randomImages([3, 3, 32, 32], 70);
      const evalB = randomImages([3, 3, 32, 32], 71);
      const distances = await sim.distance(evalA, evalB);

      const ref = trainReference<{ steps: SimStepRow[]; moved: number }>({
        op: 'similarity',
        variant,
        arch,
        pt: net.path,
        layers,
        normalization: 'imagenet',
        shape,
        init: join(dir, 'init.pt'),
        steps,
        batches,
        lr: 1e-3,
        evalA: write(dir, 'evalA', evalA),
        evalB: write(dir, 'evalB', evalB),
        evalShape: evalA.shape,
        out: dir,
      });
      expect(ref.moved).toBeGreaterThan(5e-4);
      ref.steps.forEach((row, s) => {
        expect(Math.abs(losses[s]! - row.loss), `loss of step ${s + 1}`).toBeLessThan(1e-5);
        expect(row.weights, `channel weights after step ${s + 1}`).toBeLessThan(1e-5);
        expect(row.judge, `judge after step ${s + 1}`).toBeLessThan(1e-5);
        expect(row.trunk, `trunk after step ${s + 1}`).toBeLessThan(1e-5);
        expect(row.buffers, `BatchNorm statistics after step ${s + 1}`).toBeLessThan(1e-5);
        expect(row.minWeight).toBeGreaterThanOrEqual(0);
      });
      // Evaluation after training runs in eval mode (tune, scratch: the trunk back from train mode),
      // on the trained trunk and its running statistics.
      expect(maxAbsDiff(distances, readF32(join(dir, 'eval.f32')))).toBeLessThan(1e-5 * Math.max(...distances));
      const trunkAfter = await net.features(probe, layers);
      trunkAfter.forEach((f, i) => {
        const same = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(
          Buffer.from(trunkBefore[i]!.data.buffer, trunkBefore[i]!.data.byteOffset, trunkBefore[i]!.data.byteLength),
        );
        // The caller's network is bitwise unchanged, weights and BatchNorm statistics: lin keeps the trunk
        // frozen, and tune and scratch train a copy of it (their trained trunk gave the distances above).
        expect(same, `the caller's network's features at layer ${layers[i]}`).toBe(true);
      });
    } finally {
      sim.dispose();
      net.dispose();
    }
  });
});
