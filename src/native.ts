// Loads the native addon (a prebuilt or the source build, scripts/prebuilt.mjs) and describes what it exports.
import { BUILD_COMMAND, chooseAddon, loadPlan, sourceBuild, type AddonChoice } from '../scripts/prebuilt.mjs';
import { packageRoot } from './paths.js';
import type { ByteBatch, ByteImage, FloatTensor } from './tensor.js';

export interface NativeInfo {
  torchVersion: string;
  torchDir: string;
  builtWithCuda: boolean;
  cudaAvailable: boolean;
  cudaDevices: number;
  mkldnn: boolean;
  /** The tensor worker's intra-op thread count. */
  threads: number;
  /** What chose it: 'cores' (the default), 'DPL_TORCH_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS' or 'setThreads'. */
  threadsSource: string;
  parallelInfo: string;
  blasLibraries: string[];
  /** OpenBLAS's thread count (kept at 1 beside LibTorch's `threads`), 0 when the BLAS is not OpenBLAS. */
  blasThreads: number;
  pendingJobs: number;
}

/** A float32 NCHW tensor held on a device (native/device_tensor.h). */
export interface NativeDeviceTensor {
  readonly shape: number[];
  readonly device: string;
  readonly disposed: boolean;
  toHost(): Promise<FloatTensor>;
  dispose(): void;
}

export interface NativeLossNetwork {
  readonly size: number;
  readonly device: string;
  readonly disposed: boolean;
  features(images: FloatTensor | NativeDeviceTensor, layers: number[]): Promise<FloatTensor[]>;
  /** grad: a FloatTensor, or with gradOnDevice a NativeDeviceTensor on the network's device. */
  perceptualLoss(
    a: FloatTensor | NativeDeviceTensor,
    b: FloatTensor | NativeDeviceTensor,
    layers: number[],
    distance: 'mse' | 'l1',
    wantGrad: boolean,
    gradOnDevice?: boolean,
  ): Promise<{ loss: number; grad?: FloatTensor | NativeDeviceTensor }>;
  dispose(): void;
}

export interface NativeSimilarityOptions {
  layers: number[];
  compare: string;
  channelNorm: boolean;
  learned: boolean;
  trainable: boolean;
  seed: number;
  probeSize: number;
}

export interface NativeSimilarity {
  /** Channels at each layer (from the probe). */
  readonly channels: number[];
  /** Elements the optimiser trains (channel weights, judge, trunk when trainable). */
  readonly parameterCount: number;
  distance(a: FloatTensor, b: FloatTensor): Promise<FloatTensor>;
  evalTriplets(ref: FloatTensor, p0: FloatTensor, p1: FloatTensor): Promise<{ d0: FloatTensor; d1: FloatTensor; prob?: FloatTensor }>;
  trainStep(
    ref: FloatTensor,
    p0: FloatTensor,
    p1: FloatTensor,
    judge: FloatTensor,
    lr: number,
  ): Promise<{ loss: number; gradNorm: number }>;
  getWeights(): Promise<FloatTensor[]>;
  setWeights(weights: FloatTensor[]): Promise<void>;
  saveCheckpoint(path: string, meta: string): Promise<void>;
  loadCheckpoint(path: string): Promise<string>;
  dispose(): void;
}

/** Parameter tensors that received a gradient in a trainer's last step (the loss network's must be 0). */
export interface GradientReport {
  modelParametersWithGrad: number;
  modelParameters: number;
  lossNetworkParametersWithGrad: number;
}

export interface NativeSrTrainer {
  readonly parameterCount: number;
  readonly factor: number;
  step(lr: FloatTensor, hr: FloatTensor): Promise<number>;
  evaluate(lr: FloatTensor, hr?: FloatTensor): Promise<{ output: FloatTensor; featureLoss?: number[] }>;
  save(path: string, withOptimizer: boolean): Promise<void>;
  load(path: string): Promise<boolean>;
  gradientReport(): Promise<GradientReport>;
  dispose(): void;
}

export interface NativeDelineationOptions {
  layer: number;
  iterations: number;
  featureWeight: number;
  lr: number;
  seed: number;
  device?: string;
}

export interface NativeDelineationTrainer {
  readonly parameterCount: number;
  readonly iterations: number;
  step(images: FloatTensor, masks: FloatTensor): Promise<number>;
  evaluate(images: FloatTensor, masks?: FloatTensor): Promise<{ probabilities: FloatTensor; bce?: number[] }>;
  inspect(images: FloatTensor, masks: FloatTensor): Promise<{ skipsMade: FloatTensor[]; skipsAfter: FloatTensor[]; priorGradNorm: number }>;
  save(path: string, withOptimizer: boolean): Promise<void>;
  load(path: string): Promise<boolean>;
  state(): Promise<Record<string, FloatTensor>>;
  gradientReport(): Promise<GradientReport>;
  dispose(): void;
}

export interface NativeAutoencoderTrainer {
  readonly parameterCount: number;
  step(images: ByteBatch): Promise<number>;
  evaluate(images: ByteBatch, wantImages: boolean): Promise<{ losses: Float64Array; input?: FloatTensor; output?: FloatTensor }>;
  encode(images: ByteBatch): Promise<FloatTensor>;
  save(path: string, withOptimizer: boolean): Promise<void>;
  load(path: string): Promise<boolean>;
  state(): Promise<Record<string, FloatTensor>>;
  setState(state: Record<string, FloatTensor>): Promise<void>;
  gradientReport(): Promise<GradientReport>;
  dispose(): void;
}

export interface NativeCodeSet {
  readonly size: number;
  readonly dim: number;
  dispose(): void;
}

export interface ProbeMetrics {
  /** MSE over every output (against one-hot targets). */
  loss: number;
  /** Mean over samples of the L1 norm of output - target. */
  l1: number;
  /** Mean over samples of the L2 norm of output - target. */
  l2: number;
  /** Share of samples whose largest output is the label. */
  accuracy: number;
}

export interface NativeProbe {
  readonly parameterCount: number;
  trainEpoch(set: NativeCodeSet, order: Int32Array, batch: number): Promise<number>;
  evaluate(set: NativeCodeSet): Promise<ProbeMetrics>;
  keepBest(): Promise<void>;
  restoreBest(): Promise<boolean>;
  state(): Promise<Record<string, FloatTensor>>;
  setState(state: Record<string, FloatTensor>): Promise<void>;
  dispose(): void;
}

export interface NativeAddon {
  info(): NativeInfo;
  resizeImages(images: FloatTensor, h: number, w: number, mode: string, antialias: boolean): Promise<FloatTensor>;
  gaussianBlur(images: FloatTensor, sigma: number): Promise<FloatTensor>;
  luma(image: ByteImage): Promise<FloatTensor>;
  psnr(a: ByteImage, b: ByteImage, shave: number): Promise<number>;
  ssim(a: ByteImage, b: ByteImage, shave: number): Promise<number>;
  createSuperResolutionTrainer(
    lossNetwork: NativeLossNetwork | null,
    options: { factor: number; layer: number; seed: number; lr: number; pixelWeight: number; tvWeight: number; device?: string },
  ): Promise<NativeSrTrainer>;
  createDelineationTrainer(lossNetwork: NativeLossNetwork | null, options: NativeDelineationOptions): Promise<NativeDelineationTrainer>;
  createAutoencoderTrainer(
    lossNetwork: NativeLossNetwork | null,
    options: { side: number; pad: number; codeSize: number; layer: number; seed: number; lr: number; device?: string },
  ): Promise<NativeAutoencoderTrainer>;
  createCodeSet(
    codes: FloatTensor,
    labels: { data: Uint8Array; shape: [number] },
    options: { classes: number; device: string },
  ): Promise<NativeCodeSet>;
  createProbe(options: {
    inputs: number;
    hidden: number[];
    classes: number;
    seed: number;
    lr: number;
    device: string;
  }): Promise<NativeProbe>;
  /** Resolves once later jobs run with n threads (set on the tensor worker). */
  setThreads(n: number): Promise<void>;
  pendingJobs(): number;
  /** 0: no bound. Returns the bound before. */
  setMaxPendingJobs(n: number): number;
  cpuCacheStats(): { cachedBytes: number; limitBytes: number; hits: number; misses: number; evicted: number; rejectedSetting?: string };
  emptyCpuCache(): void;
  loadLossNetwork(path: string, device: string, normalization: string): Promise<NativeLossNetwork>;
  /** Copies a 4-dimensional float tensor to `device` (pinned staging to CUDA). */
  toDevice(tensor: FloatTensor, device: string): Promise<NativeDeviceTensor>;
  /** Turns the fast path of a frozen network on (options) or off (null); see native/fast_path.h. */
  setFastPath(network: NativeLossNetwork, options: { freeze?: boolean; channelsLast?: boolean | 'auto' } | null): Promise<void>;
  /** Entry points for bench/, the study's step timing and tests: not API (native/addon.cpp). */
  internal: NativeInternal;
  createSimilarity(network: NativeLossNetwork, options: NativeSimilarityOptions): Promise<NativeSimilarity>;
  [name: string]: unknown;
}

/** The addon's `internal` object: not API, free to change. */
export interface NativeInternal {
  /** Times `steps` deep-perceptual-loss training steps on the tensor thread. */
  benchLossStep(
    network: NativeLossNetwork,
    a: FloatTensor,
    b: FloatTensor,
    layers: number[],
    options: { steps?: number; amp?: 'none' | 'bf16' | 'fp16'; threads?: number },
  ): Promise<{ seconds: number[]; cpu: number[]; loss: number; grad: FloatTensor; threads: number }>;
  /** Whether CUDA fp32 convolutions and matmuls may use TF32 (PyTorch's default: convolutions yes). */
  benchSetTf32(on: boolean): Promise<void>;
  /** OpenBLAS's thread count alone (the next setThreads resets it to the intra-op count). */
  benchSetBlasThreads(n: number): Promise<void>;
  /** The class of each error code (native/errors.h), to hold src/errors.ts to it. */
  errorClasses: Record<string, string>;
  /** What a network's fast path holds (null without one). */
  fastPathStats(network: NativeLossNetwork): Promise<{ sets: number; bytes: number; limit: number } | null>;
}

let addon: NativeAddon | undefined;
let choice: AddonChoice | undefined;

/**
 * Which addon this process runs and why: a prebuilt platform package that fits the
 * LibTorch found, or the source build (scripts/prebuilt.mjs tries each in a child
 * process first). Made once per process; doctor shows it.
 */
export function addonChoice(): AddonChoice {
  choice ??= chooseAddon({ root: packageRoot });
  return choice;
}

/** The addon file loaded (or that would be): the chosen one, else where the source build goes. */
export const addonPath = (): string => addonChoice().chosen?.path ?? sourceBuild(packageRoot).path;

/**
 * Says once, on stderr, what was passed over when the loader fell back to a source
 * build not made for the LibTorch found (one made for it needs no word).
 */
function warnAboutFallback(c: AddonChoice): void {
  const passed = [...c.problems, ...c.prebuilts.filter((p) => p.refused).map((p) => `prebuilt ${p.name} not used: ${p.refused}`)];
  if (c.chosen?.fallback && passed.length) {
    console.warn(`dpl-torch: using the source build ${c.chosen.path} (${c.chosen.why}); ${passed.join('; ')}`);
  }
}

/** The addon, loaded on first use; an error naming what was found and the remedy when none loads. */
/**
 * OpenMP's idle threads sleep at once instead of spinning first, unless the user chose
 * (OMP_WAIT_POLICY, GOMP_SPINCOUNT). libgomp reads this when LibTorch loads it, so it is
 * set before the addon loads. With the intra-op threads at the core count, a spinning
 * idle thread takes the core a descheduled team member needs whenever anything else
 * runs: alexnet's two-thread step went from 0.04-0.06 s to 0.08-0.8 s beside three
 * compilers, and stayed at 0.04-0.06 s with PASSIVE (bench/README.md "Threads").
 */
function quietOpenMp(): void {
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
}

export function native(): NativeAddon {
  if (addon) return addon;
  quietOpenMp();
  const c = addonChoice();
  if (!c.chosen) throw new Error(c.message ?? 'dpl-torch: no native addon loads here');
  try {
    addon = loadPlan(c.chosen.plan) as NativeAddon;
  } catch (e) {
    throw new Error(
      `dpl-torch's native addon ${c.chosen.path} loaded in a test process but failed here: ${(e as Error).message}. ` +
        `If LibTorch moved or was upgraded, run \`${BUILD_COMMAND}\` (npm run build:native in a checkout).`,
    );
  }
  warnAboutFallback(c);
  // Queued before any other work on the tensor thread, so every CUDA step sees it.
  const tf32 = process.env.DPL_TORCH_TF32;
  if (tf32 === '0' || tf32 === '1') void addon.internal.benchSetTf32(tf32 === '1');
  else if (tf32 !== undefined) console.warn(`dpl-torch: DPL_TORCH_TF32 must be 0 or 1, got '${tf32}'; ignored`);
  return addon;
}
