// The expected cost of a run, in GMACs (multiply-accumulates, 1e9): what the
// shards balance (shards.ts). Not a prediction of seconds, only of how runs
// compare: images through the loss network (to the run's deepest layer) and
// the trained model, times their pixels, from the benchmark's options.
//
// Loss network: NETWORK_GMACS, the MACs of each study network cumulated child
// by child for one 224×224 image (scripts/network-costs.py counts convolutions
// and linear layers). Other architectures: 4 GMACs spread evenly over their
// children. A backward pass is counted as two forwards.
//
// Benchmarks: similarity, super-resolution and delineation have their models here, from
// their options; another benchmark is estimated from the options most have
// (epochs × stepsPerEpoch × batch images at imageSize/hrSize, through the loss
// network forward and backward) until it gets its own model here.
import { describeArchitecture } from '../networks.js';
import type { PlannedRun } from './plan.js';

/** Cumulative GMACs to each child index, one 224×224 image (scripts/network-costs.py). */
export const NETWORK_GMACS: Record<string, number[]> = {
  alexnet: [0.0703, 0.0703, 0.0703, 0.2942, 0.2942, 0.2942, 0.4064, 0.4064, 0.5559, 0.5559, 0.6556, 0.6556, 0.6556],
  vgg11: [
    0.0867, 0.0867, 0.0867, 1.0115, 1.0115, 1.0115, 1.9364, 1.9364, 3.7861, 3.7861, 3.7861, 4.7109, 4.7109, 6.5606, 6.5606, 6.5606, 7.023,
    7.023, 7.4855, 7.4855, 7.4855,
  ],
  vgg16: [
    0.0867, 0.0867, 1.9364, 1.9364, 1.9364, 2.8612, 2.8612, 4.7109, 4.7109, 4.7109, 5.6358, 5.6358, 7.4855, 7.4855, 9.3351, 9.3351, 9.3351,
    10.26, 10.26, 12.1097, 12.1097, 13.9594, 13.9594, 13.9594, 14.4218, 14.4218, 14.8842, 14.8842, 15.3466, 15.3466, 15.3466,
  ],
  vgg16_bn: [
    0.0867, 0.0867, 0.0867, 1.9364, 1.9364, 1.9364, 1.9364, 2.8612, 2.8612, 2.8612, 4.7109, 4.7109, 4.7109, 4.7109, 5.6358, 5.6358, 5.6358,
    7.4855, 7.4855, 7.4855, 9.3351, 9.3351, 9.3351, 9.3351, 10.26, 10.26, 10.26, 12.1097, 12.1097, 12.1097, 13.9594, 13.9594, 13.9594,
    13.9594, 14.4218, 14.4218, 14.4218, 14.8842, 14.8842, 14.8842, 15.3466, 15.3466, 15.3466, 15.3466,
  ],
  vgg19: [
    0.0867, 0.0867, 1.9364, 1.9364, 1.9364, 2.8612, 2.8612, 4.7109, 4.7109, 4.7109, 5.6358, 5.6358, 7.4855, 7.4855, 9.3351, 9.3351, 11.1848,
    11.1848, 11.1848, 12.1097, 12.1097, 13.9594, 13.9594, 15.8091, 15.8091, 17.6587, 17.6587, 17.6587, 18.1212, 18.1212, 18.5836, 18.5836,
    19.046, 19.046, 19.5084, 19.5084, 19.5084,
  ],
  densenet121: [0.118, 0.118, 0.118, 0.118, 1.1585, 1.2612, 1.9741, 2.0769, 2.626, 2.7288, 2.8331, 2.8331],
  resnet18: [0.118, 0.118, 0.118, 0.118, 0.5804, 0.9915, 1.4025, 1.8136, 1.8136],
  resnet50: [0.118, 0.118, 0.118, 0.118, 0.786, 1.8136, 3.2779, 4.0871, 4.0871],
  resnext50_32x4d: [0.118, 0.118, 0.118, 0.118, 0.7522, 1.8376, 3.363, 4.2284, 4.2284],
  googlenet: [0.118, 0.118, 0.1309, 0.4777, 0.4777, 0.5993, 0.865, 0.865, 0.9362, 1.0193, 1.1144, 1.2265, 1.3836, 1.3836, 1.4315, 1.4974],
  inception_v3: [0.0106, 0.1201, 0.3391, 0.3391, 0.3541, 0.7279, 0.7279, 0.8872, 1.06, 1.2376, 1.439, 1.6254, 1.8684, 2.1114, 2.4193],
  squeezenet1_1: [0.0213, 0.0213, 0.0213, 0.0554, 0.0925, 0.0925, 0.1254, 0.1612, 0.1612, 0.1789, 0.1976, 0.2294, 0.2626],
  efficientnet_b0: [0.0108, 0.0209, 0.0758, 0.1138, 0.1573, 0.2434, 0.3349, 0.3645, 0.3845],
  efficientnet_b7: [0.0217, 0.104, 0.7844, 1.2693, 1.8732, 3.0729, 4.2387, 5.087, 5.1673],
};

/** GMACs of running `network` up to its deepest layer in `layers`, one 224×224 image; 0 for 'pixel'. */
export function networkGmacs(network: string, layers: number[]): number {
  if (network === 'pixel' || !layers.length) return 0;
  const deepest = Math.max(...layers);
  const table = NETWORK_GMACS[network];
  if (table) return table[Math.min(deepest, table.length - 1)]!;
  const children = describeArchitecture(network)?.children ?? 20;
  return (4 * (Math.min(deepest, children - 1) + 1)) / children;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
/** Pixels of a side-length relative to 224². */
const pixels = (side: number): number => (side / 224) ** 2;

/** BAPPS sizes (LPIPS paper): 2AFC train triplets, 2AFC val triplets, JND val pairs. */
const BAPPS = { train: 151_400, val: 36_300, jnd: 9_600 };
/** The synthetic tree's subsets (data/bapps.ts): 3 train, 6 val, 2 JND, `perSubset` items each. */
const SYNTHETIC_SUBSETS = { train: 3, val: 6, jnd: 2 };

/** Similarity: evaluation (3 images per triplet, 2 per JND pair) and, except the baseline, training epochs. */
function similarityCost(run: PlannedRun, net: number): number {
  const o = run.spec.options;
  const synthetic = o.synthetic as { perSubset?: number } | undefined;
  const n = synthetic?.perSubset
    ? {
        train: synthetic.perSubset * SYNTHETIC_SUBSETS.train,
        val: synthetic.perSubset * SYNTHETIC_SUBSETS.val,
        jnd: synthetic.perSubset * SYNTHETIC_SUBSETS.jnd,
      }
    : BAPPS;
  const perImage = net * pixels(num(o.imageSize, 64));
  const evaluation = (3 * n.val + 2 * n.jnd) * perImage;
  if (run.identity.variant === 'baseline') return evaluation;
  // tune and scratch train the network too: its backward pass on top of the forward.
  const trainsNet = run.identity.variant === 'tune' || run.identity.variant === 'scratch';
  return evaluation + num(o.epochs, 10) * 3 * n.train * perImage * (trainsNet ? 3 : 1);
}

/**
 * The ×4/×8 transformation network on one 224² HR output: about 9 GMACs forward
 * (its residual blocks at the LR size and the upsampling convolutions, counted by
 * hand from the spec's layers), three times that with its backward pass.
 */
const SR_NET_TRAIN = 27;
const SR_NET_EVAL = 9;

/** Super-resolution: training images (the loss network forward on output and target, backward on output), then validation each epoch. */
function superResolutionCost(run: PlannedRun, net: number): number {
  const o = run.spec.options;
  const px = pixels(num(o.hrSize, 288));
  const epochs = num(o.epochs, 80);
  const train = epochs * num(o.stepsPerEpoch, 2500) * num(o.batchSize, 4) * px * (SR_NET_TRAIN + 4 * net);
  const validation = epochs * num(o.valImages, 100) * px * (SR_NET_EVAL + 2 * net);
  return train + validation;
}

/**
 * The delineation U-Net on one 224² image: 0.054 GMACs forward (its eight 4x4
 * convolutions counted from the spec's table), three times that with its backward pass.
 */
const UNET_TRAIN = 0.163;
const UNET_EVAL = 0.054;
/** MRD tiles (spec: train 1,108, valid 14, test 49, 1500x1500); the quick data is smaller, but costs only compare. */
const MRD = { train: 1108, val: 14, test: 49, side: 1500 };

/**
 * Delineation: per training crop, K U-Net passes forward and backward, the loss
 * network forward on the mask and forward and backward on the K predictions;
 * then K eval passes over the whole validation tiles each epoch and the test tiles once.
 */
function delineationCost(run: PlannedRun, net: number): number {
  const o = run.spec.options;
  const k = num(o.iterations, 3);
  const train = num(o.epochs, 100) * MRD.train * pixels(num(o.cropSize, 224)) * (k * UNET_TRAIN + (1 + 3 * k) * net);
  const evaluation = (num(o.epochs, 100) * MRD.val + MRD.test) * pixels(MRD.side) * k * UNET_EVAL;
  return train + evaluation;
}

/** A benchmark without its own model here: training images through the loss network, forward and backward. */
function genericCost(run: PlannedRun, net: number): number {
  const o = run.spec.options;
  const images = num(o.epochs, 1) * num(o.stepsPerEpoch, 1) * num(o.batch ?? o.batchSize, 1);
  return images * pixels(num(o.imageSize ?? o.hrSize, 224)) * 3 * Math.max(net, 0.1);
}

const MODELS: Record<string, (run: PlannedRun, net: number) => number> = {
  similarity: similarityCost,
  'super-resolution': superResolutionCost,
  delineation: delineationCost,
};

/** The expected cost of a run (GMACs). */
export function runCost(run: PlannedRun): number {
  const net = networkGmacs(run.identity.network, run.identity.layers);
  return (MODELS[run.identity.benchmark] ?? genericCost)(run, net);
}
