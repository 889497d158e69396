// LPIPS's published linear-layer weights (richzhang/PerceptualSimilarity,
// `weights/v0.1/{alex,vgg,squeeze}.pth`) as a dpl-torch similarity weights
// file, so that PerceptualSimilarity reproduces LPIPS where trunk and weights
// match: the same torchvision trunk with ImageNet weights, LPIPS's layers, its
// input scaling on [-1,1] ('lpips' normalisation), channel normalisation,
// spatial average. The one difference is eps, inside the square root here and
// outside in LPIPS (docs/protocol.md): values differ by a relative 1e-10 /
// |y|, nothing measurable.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from './paths.js';
import { requirePythonTorch } from './python.js';
import { CHANNEL_NORM_EPS, type SimilarityWeightsFile } from './similarity.js';

/** LPIPS's trunks: the torchvision network and the children its slices end at (relu1..relu5, fire modules). */
export const LPIPS_TRUNKS: Record<string, { lpipsName: string; layers: number[]; channels: number[] }> = {
  alexnet: { lpipsName: 'alex', layers: [1, 4, 7, 9, 11], channels: [64, 192, 384, 256, 256] },
  vgg16: { lpipsName: 'vgg', layers: [3, 8, 15, 22, 29], channels: [64, 128, 256, 512, 512] },
  squeezenet1_1: { lpipsName: 'squeeze', layers: [1, 4, 7, 9, 10, 11, 12], channels: [64, 128, 256, 384, 384, 512, 512] },
};

/** The trunk an LPIPS network name or torchvision name stands for ('alex' -> 'alexnet'). */
export function lpipsArchitecture(name: string): string {
  const arch = Object.keys(LPIPS_TRUNKS).find((a) => a === name || LPIPS_TRUNKS[a]!.lpipsName === name);
  if (!arch)
    throw new Error(
      `LPIPS has no trunk '${name}': use ${Object.entries(LPIPS_TRUNKS)
        .map(([a, t]) => `${t.lpipsName} (${a})`)
        .join(', ')}`,
    );
  return arch;
}

/** The per-layer weight vectors of an LPIPS .pth (read with Python torch). */
export function readLpipsPth(file: string, python = requirePythonTorch().python): number[][] {
  const r = spawnSync(python, [join(packageRoot, 'scripts', 'read_lpips_weights.py'), file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`cannot read LPIPS weights from '${file}': ${(r.stderr || r.error?.message || '').trim()}`);
  return (JSON.parse(r.stdout) as { lins: number[][] }).lins;
}

export interface ConvertLpipsOptions {
  /** The trunk ('alexnet', 'vgg16', 'squeezenet1_1' or LPIPS's 'alex', 'vgg', 'squeeze'); default: told by the channel counts. */
  network?: string;
  /** The weights id of the export the file will be used with (LossNetwork.weightsId), e.g. 'IMAGENET1K_V1:alexnet-owt-7be5be79.pth'. */
  weightsId: string;
  /** Python with torch (default: the one findPythonTorch finds). */
  python?: string;
}

/**
 * Converts an LPIPS .pth into a similarity weights file (write it with JSON.stringify, or
 * use `npx dpl-torch convert-lpips-weights`): LPIPS's layers of the trunk, compare
 * 'spatial', channel normalisation on, 'lpips' input normalisation.
 */
export function convertLpipsWeights(pth: string, options: ConvertLpipsOptions): SimilarityWeightsFile {
  const named = options.network === undefined ? undefined : lpipsArchitecture(options.network);
  const lins = readLpipsPth(pth, options.python);
  const counts = lins.map((w) => w.length);
  const arch = named ?? Object.keys(LPIPS_TRUNKS).find((a) => LPIPS_TRUNKS[a]!.channels.join() === counts.join());
  if (!arch) {
    throw new Error(
      `'${pth}' holds linear layers of ${counts.join(', ')} channels, which fit none of LPIPS's trunks (alex, vgg, squeeze); name the network with --network`,
    );
  }
  const trunk = LPIPS_TRUNKS[arch]!;
  if (trunk.channels.join() !== counts.join()) {
    throw new Error(
      `'${pth}' holds linear layers of ${counts.join(', ')} channels; LPIPS's ${trunk.lpipsName} (${arch}) has ${trunk.channels.join(', ')}`,
    );
  }
  const negative = lins.findIndex((w) => w.some((v) => !(v >= 0)));
  if (negative >= 0) throw new Error(`'${pth}': lin${negative} has negative or non-finite weights; LPIPS's are clamped to >= 0`);
  return {
    format: 'dpl-torch/perceptual-similarity-weights',
    version: 1,
    network: arch,
    weightsId: options.weightsId,
    layers: trunk.layers,
    compare: 'spatial',
    channelNorm: true,
    normalization: 'lpips',
    eps: CHANNEL_NORM_EPS,
    weights: lins.map((values, i) => ({ layer: trunk.layers[i]!, branch: 'spatial', values })),
  };
}
