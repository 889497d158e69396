// LossNetwork: a frozen torchvision trunk (TorchScript export) run by LibTorch.
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { imageArg, type DeviceTensor } from './device-tensor.js';
import { dplError } from './errors.js';
import { layerNames, resolveLayers, type Layer } from './layer-names.js';
import { canRead, isPretrained, readManifest, sha256File, weightsId, type ManifestEntry } from './manifest.js';
import { native, type NativeLossNetwork } from './native.js';
import { requireArchitecture, STUDY_NETWORKS } from './networks.js';
import { modelsDir } from './paths.js';
import type { FloatTensor } from './tensor.js';
import { parseOptions } from './validate.js';

export const Normalization = z.enum(['none', 'imagenet', 'lpips']);
export type Normalization = z.infer<typeof Normalization>;

export const Device = z.string().regex(/^(cpu|cuda(:\d+)?)$/, "use 'cpu', 'cuda' or 'cuda:N'");

const LoadOptions = z.object({
  device: Device.default('cpu'),
  /** Input normalisation applied to [0,1] images before the trunk. */
  normalization: Normalization.default('imagenet'),
  /** Folder with the exports and manifest.json (default: models/torchscript or DPL_TORCH_MODELS). */
  modelsDir: z.string().optional(),
  /** 'imagenet' refuses a random-init export; 'random' refuses a pretrained one. */
  weights: z.enum(['any', 'imagenet', 'random']).default('any'),
  /**
   * The fast path (native/fast_path.h), on by default for the 14 study networks (each
   * checked against the plain path: bench/fast-check.ts), off by default for other
   * architectures (`true` turns it on); `false` runs the plain path (the exported
   * children one by one, bit-identical to Python's torchvision modules). Children between the layers asked for are joined and frozen, folding
   * BatchNorm into convolutions; `channelsLast` runs the trunk in channels-last
   * format ('auto', the default: on CPU the format measured faster for each study
   * network, CPU_CHANNELS_LAST; elsewhere, or for other networks, where at least a
   * quarter of the convolutions are 1x1 or the stem convolution is 3x3). Same
   * features and losses within float rounding, gradients too except where a max-pool
   * argmax or a ReLU flips (bench/README.md has the figures). Ignored while the
   * network is trainable.
   */
  fast: z
    .union([
      z.boolean(),
      z.object({ freeze: z.boolean().optional(), channelsLast: z.union([z.boolean(), z.literal('auto')]).optional() }).strict(),
    ])
    .optional(),
});
export type LoadOptions = z.input<typeof LoadOptions>;

/**
 * `fast`'s memory format on CPU for the study networks: the faster of the frozen NCHW
 * and channels-last paths in the bench at the default threads (LibTorch 1.13, 2 cores,
 * OpenBLAS at one thread, batch 4, 128x128; bench/README.md,
 * results/cpu-layouts-cl-weights.txt). Since the frozen weights are stored channels-last
 * (no weight copy per convolution call), channels-last is at least as fast on all 14
 * (alexnet and resnet18, NCHW before, by 3-4%; efficientnet_b7 a tie); one thread
 * agrees for alexnet and resnet18 (+5% and +13%).
 */
export const CPU_CHANNELS_LAST: Readonly<Record<string, boolean>> = {
  alexnet: true,
  vgg11: true,
  vgg16: true,
  vgg16_bn: true,
  vgg19: true,
  densenet121: true,
  resnet18: true,
  resnet50: true,
  resnext50_32x4d: true,
  googlenet: true,
  inception_v3: true,
  squeezenet1_1: true,
  efficientnet_b0: true,
  efficientnet_b7: true,
};

/** The options sent to the native fast path: the measured CPU format for "auto" where there is one. */
export function fastOptions(fast: true | { freeze?: boolean; channelsLast?: boolean | 'auto' }, arch: string, device: string) {
  const o = fast === true ? {} : fast;
  const auto = o.channelsLast === undefined || o.channelsLast === 'auto';
  const measured = CPU_CHANNELS_LAST[arch];
  return auto && device === 'cpu' && measured !== undefined ? { ...o, channelsLast: measured } : o;
}

export class LossNetwork {
  private names?: string[][];

  private constructor(
    /** The native handle; other dpl-torch modules pass it to native code. */
    readonly handle: NativeLossNetwork,
    readonly architecture: string,
    readonly entry: ManifestEntry,
    readonly normalization: Normalization,
    readonly path: string,
  ) {}

  /**
   * Loads an exported network by architecture name ('vgg16') or .pt path, checking
   * its manifest entry: the file's sha256, and that the linked LibTorch can read it.
   */
  static async load(archOrPath: string, options: LoadOptions = {}): Promise<LossNetwork> {
    const opts = parseOptions(LoadOptions, options, 'LossNetwork.load options');
    const isPath = archOrPath.endsWith('.pt') || archOrPath.includes('/');
    const dir = isPath ? dirname(resolve(archOrPath)) : resolve(opts.modelsDir ?? modelsDir());
    const file = isPath ? basename(archOrPath) : `${archOrPath}.pt`;
    if (!isPath) requireArchitecture(archOrPath);
    const path = resolve(dir, file);
    const entry = Object.values(readManifest(dir).networks).find((e) => e.file === file);
    if (!entry || !existsSync(path)) {
      const arch = entry?.architecture ?? file.replace(/\.pt$/, '');
      throw dplError(
        'ERR_DPL_FILE',
        `no exported loss network '${arch}' in ${dir}` +
          (existsSync(path) ? ' (the .pt has no manifest entry)' : '') +
          `; run \`npx dpl-torch export-networks --arch ${arch}\` (add --weights random where ImageNet weights cannot be had)`,
      );
    }
    await checkExport(path, entry, opts.weights);
    const handle = await native().loadLossNetwork(path, opts.device, opts.normalization);
    const fast = opts.fast ?? STUDY_NETWORKS[entry.architecture] !== undefined;
    if (fast) await native().setFastPath(handle, fastOptions(fast, entry.architecture, handle.device));
    return new LossNetwork(handle, entry.architecture, entry, opts.normalization, path);
  }

  /** Number of children (valid layers are 0..size-1). */
  get size(): number {
    return this.handle.size;
  }
  get device(): string {
    return this.handle.device;
  }
  /** 'IMAGENET1K_V1:<file>' or 'random:<seed>', for results. */
  get weightsId(): string {
    return weightsId(this.entry);
  }
  get pretrained(): boolean {
    return isPretrained(this.entry);
  }

  /**
   * For each layer index, the names it answers to, torchvision's module name first
   * ('features.8', then 'relu2_2' for vgg16): see layer-names.ts.
   */
  layerNames(): string[][] {
    this.names ??= layerNames(this.architecture, this.entry.children, this.entry.childNames);
    return this.names;
  }

  /** Child indices for layers given by index or name; an unknown name is an ERR_DPL_LAYER RangeError listing the valid ones. */
  resolveLayers(layers: readonly Layer[]): number[] {
    return resolveLayers(layers, this.layerNames(), this.architecture);
  }

  /**
   * Features at `layers` (one pass) of [0,1] RGB images shaped [N, 3, H, W]; layers
   * by index or by name (`['relu2_2', 'relu5_3']`, `['features.8']`). `images` may be
   * a DeviceTensor on this network's device (toDevice), which is not copied.
   */
  async features(images: FloatTensor | DeviceTensor, layers: readonly Layer[]): Promise<FloatTensor[]> {
    return this.handle.features(imageArg(images, 'images'), this.resolveLayers(layers));
  }

  /** Frees the network now rather than at garbage collection; later calls throw. */
  dispose(): void {
    this.handle.dispose();
  }
}

async function checkExport(path: string, entry: ManifestEntry, want: 'any' | 'imagenet' | 'random'): Promise<void> {
  const linked = native().info().torchVersion;
  if (!canRead(linked, entry.torch)) {
    throw dplError(
      'ERR_DPL_FILE',
      `${path} was exported by torch ${entry.torch}, newer than the linked LibTorch ${linked}, which may not read it. ` +
        `Re-export with a Python torch ${linked} (\`npx dpl-torch export-networks --arch ${entry.architecture}\` picks one via DPL_TORCH_PYTHON), ` +
        'or rebuild dpl-torch against a newer LibTorch',
    );
  }
  if ((await sha256File(path)) !== entry.sha256) {
    throw dplError(
      'ERR_DPL_FILE',
      `${path} does not match the sha256 in its manifest (corrupt or replaced); re-export it with \`npx dpl-torch export-networks --arch ${entry.architecture}\``,
    );
  }
  if (want === 'imagenet' && !isPretrained(entry)) {
    throw dplError(
      'ERR_DPL_FILE',
      `${entry.architecture} is exported with random weights (seed ${entry.seed}), but ImageNet weights were asked for; ` +
        `run \`npx dpl-torch export-networks --arch ${entry.architecture} --weights imagenet\` (see README for offline weight files)`,
    );
  }
  if (want === 'random' && isPretrained(entry)) {
    throw dplError('ERR_DPL_FILE', `${entry.architecture} is exported with ImageNet weights, but random weights were asked for`);
  }
}
