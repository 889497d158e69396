// What the bench times. An entry is one training step that exists on both sides:
// natively (one or more variants) and in bench/reference_step.py (a KINDS entry).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LossNetwork,
  PerceptualSimilarity,
  perceptualLoss,
  STUDY_NETWORKS,
  toDevice,
  type ByteBatch,
  type DeviceTensor,
  type FloatTensor,
  type LoadOptions,
} from '../dist/index.js';
import { AutoencoderTrainer, DelineationTrainer, SuperResolutionTrainer } from '../dist/benchmarks/index.js';
import { mulberry32 } from '../dist/data/seeded.js';
import { native } from '../dist/native.js';
import { seededImages } from './images.js';

export type Amp = 'none' | 'bf16' | 'fp16';

export interface BenchContext {
  batch: number;
  size: number;
  device: string;
  amp: Amp;
  /** Intra-op threads on both sides (0: each side's default). */
  threads: number;
  modelsDir: string;
  /** A scratch folder for the inputs handed to Python. */
  workDir: string;
  /**
   * Native variants to time: 'api' (public perceptualLoss), 'api-device' (the same with its
   * batches kept on the device as DeviceTensors and the gradient left there), 'plain' and
   * 'fast' (native loop).
   */
  variants: string[];
  /** Python's loss network: torchvision modules or the exported TorchScript module. */
  pyModel: 'torchvision' | 'torchscript';
  /** CUDA TF32 on both sides (undefined: PyTorch's default). */
  tf32?: boolean;
}

export interface StepTimes {
  /** Wall seconds per step. */
  seconds: number[];
  /** Process CPU seconds per step (all threads): robust to other work on a shared machine. */
  cpu: number[];
  loss: number;
}

/** Times `steps` calls of `step` in JS: wall and process CPU time. */
export async function timeSteps(steps: number, step: () => Promise<number>): Promise<StepTimes> {
  const out: StepTimes = { seconds: [], cpu: [], loss: NaN };
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    const c = process.cpuUsage();
    out.loss = await step();
    const dc = process.cpuUsage(c);
    out.cpu.push((dc.user + dc.system) / 1e6);
    out.seconds.push((performance.now() - t) / 1000);
  }
  return out;
}

/** One native way of running the step. */
export interface NativeSide {
  time(steps: number): Promise<StepTimes>;
  /** One step at fp32 (whatever the context's amp): the reference for numerical distance. */
  fp32?(): Promise<{ loss: number; grad: FloatTensor; threads?: number }>;
  /** One step as timed (amp included). */
  check(): Promise<{ loss: number; grad?: FloatTensor }>;
}

export interface PreparedEntry {
  /** Images per step (for images/s). */
  images: number;
  native: Record<string, NativeSide>;
  /** Whether both sides start from the same weights, so losses and gradients must agree. */
  comparable?: boolean;
  /** The 'load' request for reference_step.py (op and common fields are added). */
  python: Record<string, unknown>;
  dispose(): void;
}

export interface BenchEntry {
  name: string;
  /** The loss network it loads (the harness exports it first if it is missing). */
  architecture: string;
  prepare(ctx: BenchContext): Promise<PreparedEntry>;
}

function writeF32(path: string, t: FloatTensor): string {
  writeFileSync(path, t.data);
  return path;
}

/** The fast setting of a bench variant: plain (off), fast (on, channels-last 'auto'), fast-cl / fast-nchw (forced). */
const fastFor = (v: string): LoadOptions['fast'] => (v === 'plain' ? false : v === 'fast' ? true : { channelsLast: v === 'fast-cl' });

/**
 * One loss network per plain/fast variant asked for, for the trainers' steps; none under
 * --amp, as the trainers have no mixed precision.
 */
async function trainerNetworks(
  ctx: BenchContext,
  arch: string,
  normalization: LoadOptions['normalization'],
): Promise<[string, LossNetwork][]> {
  if (ctx.amp !== 'none') return [];
  const out: [string, LossNetwork][] = [];
  for (const v of ctx.variants.filter((x) => x === 'plain' || x.startsWith('fast'))) {
    out.push([
      v,
      await LossNetwork.load(arch, { modelsDir: ctx.modelsDir, device: ctx.device, weights: 'random', normalization, fast: fastFor(v) }),
    ]);
  }
  return out;
}

/** The deep-perceptual-loss step of one loss network at the given layers. */
export function lossNetworkEntry(arch: string, layers: number[]): BenchEntry {
  return {
    name: `${arch}@${layers.join(',')}`,
    architecture: arch,
    async prepare(ctx) {
      const load = (fast: LoadOptions['fast']) =>
        LossNetwork.load(arch, { modelsDir: ctx.modelsDir, device: ctx.device, weights: 'random', fast });
      const shape = [ctx.batch, 3, ctx.size, ctx.size];
      const a = seededImages(shape, 1);
      const b = seededImages(shape, 2);
      const plain = await load(false);
      const nets = [plain];
      const held: DeviceTensor[] = [];
      const loop = (net: LossNetwork): NativeSide => ({
        time: (steps) => native().internal.benchLossStep(net.handle, a, b, layers, { steps, amp: ctx.amp, threads: ctx.threads }),
        fp32: () => native().internal.benchLossStep(net.handle, a, b, layers, { steps: 1, amp: 'none', threads: ctx.threads }),
        check: () => native().internal.benchLossStep(net.handle, a, b, layers, { steps: 1, amp: ctx.amp, threads: ctx.threads }),
      });
      const sides: Record<string, NativeSide> = {};
      for (const v of ctx.variants) {
        if (v === 'plain') sides.plain = loop(plain);
        else if (v === 'fast' || v === 'fast-cl' || v === 'fast-nchw') {
          const fast = await load(fastFor(v));
          nets.push(fast);
          sides[v] = loop(fast);
        } else if (v === 'api') {
          if (ctx.amp !== 'none') continue; // the public API has no mixed precision
          sides.api = {
            time: (steps) => timeSteps(steps, async () => (await perceptualLoss(a, b, { network: plain, layers, grad: true })).loss),
            check: () => perceptualLoss(a, b, { network: plain, layers, grad: true }),
          };
        } else if (v === 'api-device') {
          if (ctx.amp !== 'none') continue;
          // Moved once, as a loop that keeps its batches on the GPU would; the gradient stays there too.
          const [da, db] = await Promise.all([toDevice(a, plain.device), toDevice(b, plain.device)]);
          held.push(da, db);
          const step = () => perceptualLoss(da, db, { network: plain, layers, grad: true, gradOutput: 'device' });
          sides['api-device'] = {
            time: (steps) =>
              timeSteps(steps, async () => {
                const r = await step();
                r.grad!.dispose();
                return r.loss;
              }),
            check: async () => {
              const r = await step();
              const grad = await r.grad!.toHost();
              r.grad!.dispose();
              return { loss: r.loss, grad };
            },
          };
        } else throw new Error(`unknown native variant '${v}': use api, api-device, plain, fast, fast-cl or fast-nchw`);
      }
      return {
        images: ctx.batch,
        native: sides,
        python: {
          kind: 'loss',
          arch,
          pt: plain.path,
          layers,
          normalization: plain.normalization,
          shape,
          input: writeF32(join(ctx.workDir, 'a.f32'), a),
          target: writeF32(join(ctx.workDir, 'b.f32'), b),
        },
        dispose: () => {
          held.forEach((d) => d.dispose());
          nets.forEach((n) => n.dispose());
        },
      };
    },
  };
}

export interface BenchmarkStepOptions {
  /** Which steps (default all): 'super-resolution', 'similarity', 'delineation', 'autoencoder'. */
  steps?: string[];
  /** The similarity step's loss network (at its 4 study layers) and triplets per step. */
  similarityNetwork?: string;
  similarityBatch?: number;
}

export const BENCHMARK_STEPS = ['super-resolution', 'similarity', 'delineation', 'autoencoder'] as const;

/**
 * The benchmarks' training steps (super-resolution, similarity, delineation, autoencoder). Each is one entry
 * here and one KINDS entry in reference_step.py. See bench/README.md for their state.
 */
export function benchmarkEntries(o: BenchmarkStepOptions = {}): BenchEntry[] {
  const steps = o.steps ?? [...BENCHMARK_STEPS];
  const arch = o.similarityNetwork ?? 'alexnet';
  const all: Record<string, () => BenchEntry> = {
    'super-resolution': () => superResolutionEntry('vgg16', 8),
    similarity: () => similarityEntry(arch, [...STUDY_NETWORKS[arch]!.layers], o.similarityBatch ?? 64),
    delineation: () => delineationEntry('vgg16', 8),
    autoencoder: () => autoencoderEntry('alexnet', 4),
  };
  return steps.map((s) => {
    const make = all[s];
    if (!make) throw new Error(`unknown benchmark step '${s}': use ${BENCHMARK_STEPS.join(', ')}`);
    return make();
  });
}

/**
 * super-resolution.md's training step at its sizes (batch 4, 72x72 -> 288x288, x4):
 * SR network forward, feature MSE at one layer of a frozen loss network (raw [0,1]
 * input), backward, Adam. Natively through SuperResolutionTrainer.step (the public
 * API the benchmark runs); in Python, SrNet in reference_step.py written from the spec.
 * The two sides initialise the SR network differently, so losses are not compared;
 * the parameter counts are.
 */
export function superResolutionEntry(arch: string, layer: number, factor: 4 | 8 = 4): BenchEntry {
  return {
    name: `super-resolution x${factor} ${arch}@${layer}`,
    architecture: arch,
    async prepare(ctx) {
      const hrSide = 288;
      const lrShape = [4, 3, hrSide / factor, hrSide / factor];
      const shape = [4, 3, hrSide, hrSide];
      const lr = seededImages(lrShape, 3);
      const hr = seededImages(shape, 4);
      const loaded = await trainerNetworks(ctx, arch, 'none');
      const nets = loaded.map(([, net]) => net);
      const trainers: SuperResolutionTrainer[] = [];
      const sides: Record<string, NativeSide> = {};
      for (const [v, net] of loaded) {
        const trainer = await SuperResolutionTrainer.create(net, { factor, layer, seed: 0, lr: 1e-3 });
        trainers.push(trainer);
        sides[v] = {
          time: (steps) => timeSteps(steps, () => trainer.step(lr, hr)),
          check: async () => ({ loss: await trainer.step(lr, hr) }),
        };
      }
      if (!Object.keys(sides).length) throw new Error('the super-resolution step runs only with --amp none and a plain or fast variant');
      return {
        images: 4,
        comparable: false,
        native: sides,
        python: {
          kind: 'sr',
          arch,
          pt: nets[0]!.path,
          layers: [layer],
          factor,
          shape,
          lrShape,
          input: writeF32(join(ctx.workDir, 'lr.f32'), lr),
          target: writeF32(join(ctx.workDir, 'hr.f32'), hr),
          expectParameters: trainers[0]!.parameterCount,
        },
        dispose: () => {
          trainers.forEach((t) => t.dispose());
          nets.forEach((n) => n.dispose());
        },
      };
    },
  };
}

/**
 * similarity.md's training step of the 'lin' variant: a frozen loss network,
 * channel weights and judge trained with BCE on a batch of 2AFC triplets of 64x64
 * patches (ImageNet normalisation), Adam lr 1e-3, betas (0.5, 0.999), weights
 * clamped >= 0 after the step. Natively through the public PerceptualSimilarity
 * (the model the benchmark trains, trainStep); in Python, SimStep in
 * reference_step.py written from the spec. The initialisations differ, so losses
 * are not compared; the trainable parameter counts are.
 */
export function similarityEntry(arch: string, layers: number[], triplets = 64): BenchEntry {
  return {
    name: `similarity lin ${arch}@${layers.join(',')}, ${triplets} triplets`,
    architecture: arch,
    async prepare(ctx) {
      const shape = [triplets, 3, 64, 64];
      const [ref, p0, p1] = [5, 6, 7].map((seed) => seededImages(shape, seed)) as [FloatTensor, FloatTensor, FloatTensor];
      const next = mulberry32(8);
      const judge: FloatTensor = { data: Float32Array.from({ length: triplets }, () => next()), shape: [triplets] };
      const loaded = await trainerNetworks(ctx, arch, 'imagenet');
      const nets = loaded.map(([, net]) => net);
      const sims: PerceptualSimilarity[] = [];
      const sides: Record<string, NativeSide> = {};
      for (const [v, net] of loaded) {
        const sim = await PerceptualSimilarity.create({ network: net, layers, learned: true, seed: 0 });
        sims.push(sim);
        const model = await sim.model();
        sides[v] = {
          time: (steps) => timeSteps(steps, async () => (await model.trainStep(ref, p0, p1, judge, 1e-3)).loss),
          check: async () => ({ loss: (await model.trainStep(ref, p0, p1, judge, 1e-3)).loss }),
        };
      }
      if (!Object.keys(sides).length) throw new Error('the similarity step runs only with --amp none and a plain or fast variant');
      const write = (name: string, t: FloatTensor) => writeF32(join(ctx.workDir, `${name}.f32`), t);
      return {
        images: 3 * triplets,
        comparable: false,
        native: sides,
        python: {
          kind: 'similarity',
          arch,
          pt: nets[0]!.path,
          layers,
          normalization: 'imagenet',
          shape,
          ref: write('ref', ref),
          p0: write('p0', p0),
          p1: write('p1', p1),
          judge: write('judge', judge),
          expectParameters: (await sims[0]!.model()).parameterCount,
        },
        dispose: () => {
          sims.forEach((s) => s.dispose());
          nets.forEach((n) => n.dispose());
        },
      };
    },
  };
}

/**
 * delineation.md's training step at its sizes (batch 8, 224x224 crops, K = 3):
 * the U-Net refined three times with shared weights, the iteration-weighted BCE
 * plus 0.01 times the iteration-weighted feature MSE at one layer of a frozen
 * loss network (the mask repeated to 3 channels, ImageNet-normalised), backward
 * through all iterations, Adam (lr 1e-3). Natively through DelineationTrainer.step
 * (the public API the benchmark runs); in Python, DelineationStep in
 * reference_step.py written from the spec. The initialisations differ, so
 * losses are not compared; the parameter counts are.
 */
export function delineationEntry(arch: string, layer: number): BenchEntry {
  return {
    name: `delineation K=3 ${arch}@${layer}`,
    architecture: arch,
    async prepare(ctx) {
      const side = 224;
      const shape = [8, 3, side, side];
      const maskShape = [8, 1, side, side];
      const images = seededImages(shape, 9);
      const next = mulberry32(10);
      // Sparse road-like masks: about one pixel in ten set.
      const masks: FloatTensor = { data: Float32Array.from({ length: 8 * side * side }, () => (next() < 0.1 ? 1 : 0)), shape: maskShape };
      const loaded = await trainerNetworks(ctx, arch, 'imagenet');
      const nets = loaded.map(([, net]) => net);
      const trainers: DelineationTrainer[] = [];
      const sides: Record<string, NativeSide> = {};
      for (const [v, net] of loaded) {
        const trainer = await DelineationTrainer.create(net, { layer, seed: 0, lr: 1e-3, iterations: 3, featureWeight: 0.01 });
        trainers.push(trainer);
        sides[v] = {
          time: (steps) => timeSteps(steps, () => trainer.step(images, masks)),
          check: async () => ({ loss: await trainer.step(images, masks) }),
        };
      }
      if (!Object.keys(sides).length) throw new Error('the delineation step runs only with --amp none and a plain or fast variant');
      return {
        images: 8,
        comparable: false,
        native: sides,
        python: {
          kind: 'delineation',
          arch,
          pt: nets[0]!.path,
          layers: [layer],
          normalization: 'imagenet',
          shape,
          maskShape,
          iterations: 3,
          mu: 0.01,
          input: writeF32(join(ctx.workDir, 'images.f32'), images),
          target: writeF32(join(ctx.workDir, 'masks.f32'), masks),
          expectParameters: trainers[0]!.parameterCount,
        },
        dispose: () => {
          trainers.forEach((t) => t.dispose());
          nets.forEach((n) => n.dispose());
        },
      };
    },
  };
}

/**
 * autoencoder.md's training step at SVHN's sizes: batch 256 of 32x32 8-bit
 * images, reflection-padded to 64x64, the four-layer autoencoder forward in
 * train mode, feature MSE at one layer of a frozen loss network (raw [0,1]
 * input), backward, Adam (lr 1e-3). Natively through AutoencoderTrainer.step
 * (the public API the benchmark runs); in Python, AeStep in reference_step.py
 * written from the spec. The initialisations differ, so losses are not compared
 * (test/autoencoder.test.ts compares a step from the same state dict); the
 * parameter counts are.
 */
export function autoencoderEntry(arch: string, layer: number, batch = 256): BenchEntry {
  return {
    name: `autoencoder ${arch}@${layer}, ${batch} x 64x64`,
    architecture: arch,
    async prepare(ctx) {
      const shape: ByteBatch['shape'] = [batch, 3, 32, 32];
      const next = mulberry32(9);
      const images: ByteBatch = { data: Uint8Array.from({ length: batch * 3 * 32 * 32 }, () => Math.floor(next() * 256)), shape };
      const loaded = await trainerNetworks(ctx, arch, 'none');
      const nets = loaded.map(([, net]) => net);
      const trainers: AutoencoderTrainer[] = [];
      const sides: Record<string, NativeSide> = {};
      for (const [v, net] of loaded) {
        const trainer = await AutoencoderTrainer.create(net, { side: 64, pad: 16, layer, seed: 0 });
        trainers.push(trainer);
        sides[v] = {
          time: (steps) => timeSteps(steps, () => trainer.step(images)),
          check: async () => ({ loss: await trainer.step(images) }),
        };
      }
      if (!Object.keys(sides).length) throw new Error('the autoencoder step runs only with --amp none and a plain or fast variant');
      const input = join(ctx.workDir, 'ae.u8');
      writeFileSync(input, images.data);
      return {
        images: batch,
        comparable: false,
        native: sides,
        python: {
          kind: 'autoencoder',
          arch,
          pt: nets[0]!.path,
          layers: [layer],
          side: 64,
          pad: 16,
          shape,
          input,
          expectParameters: trainers[0]!.parameterCount,
        },
        dispose: () => {
          trainers.forEach((t) => t.dispose());
          nets.forEach((n) => n.dispose());
        },
      };
    },
  };
}
