// The native backward path: d loss / d input equals Python autograd, one network per family.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LossNetwork } from '../src/loss-network.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, reference, referencePython, relativeError } from './helpers/reference.js';

const python = referencePython();
const a = randomImages([2, 3, 64, 64], 11);
const b = randomImages([2, 3, 64, 64], 12);
const nets: LossNetwork[] = [];
afterAll(() => nets.forEach((n) => n.dispose()));

// [architecture, layers, distance, normalization]: every family of study.md, both distances, all normalisations.
const CASES: [string, number[], 'mse' | 'l1', 'none' | 'imagenet' | 'lpips'][] = [
  ['alexnet', [1, 4, 11], 'mse', 'imagenet'],
  ['vgg11', [1, 9], 'mse', 'none'],
  ['vgg16_bn', [5, 12], 'l1', 'imagenet'],
  ['densenet121', [2, 4], 'mse', 'imagenet'],
  ['resnet18', [2, 4, 7], 'mse', 'lpips'],
  ['googlenet', [0, 5], 'mse', 'imagenet'],
  ['inception_v3', [2, 7], 'l1', 'none'],
  ['squeezenet1_1', [1, 3, 7], 'mse', 'imagenet'],
  ['efficientnet_b0', [0, 1, 4], 'mse', 'imagenet'],
  ['mobilenet_v3_small', [1, 4], 'mse', 'imagenet'],
  ['shufflenet_v2_x0_5', [2, 3], 'mse', 'imagenet'],
  ['mnasnet0_5', [3, 8], 'mse', 'imagenet'],
  ['regnet_y_400mf', [2, 4], 'mse', 'imagenet'],
];

describe.each(CASES)('%s', (arch, layers, distance, normalization) => {
  it(`gradient of the ${distance} perceptual loss at layers ${layers.join(',')} (${normalization}) matches Python autograd`, async () => {
    // The plain path, which runs Python's own kernels in Python's order; the default fast
    // path is held to it in test/fast-path.test.ts.
    const network = await LossNetwork.load(arch, { modelsDir: TEST_MODELS, normalization, fast: false });
    nets.push(network);
    const got = await perceptualLoss(a, b, { network, layers, distance, grad: true });
    expect(got.grad!.shape).toEqual(a.shape);
    expect(got.loss).toBeGreaterThan(0);
    const noGrad = await perceptualLoss(a, b, { network, layers, distance });
    expect(noGrad.grad).toBeUndefined();
    expect(noGrad.loss).toBeCloseTo(got.loss, 6);
    if (!python) return;
    const ref = reference(python, { arch, pt: join(TEST_MODELS, `${arch}.pt`), input: a, target: b, layers, normalization, distance });
    expect(Math.abs(got.loss - ref.loss!) / ref.loss!).toBeLessThan(1e-5);
    expect(relativeError(got.grad!.data, ref.grad!.data)).toBeLessThan(1e-4);
  });
});

it('is zero, with a zero gradient, between identical images on the plain path', async () => {
  const network = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS, fast: false });
  nets.push(network);
  const r = await perceptualLoss(a, a, { network, layers: [3], grad: true });
  expect(r.loss).toBe(0);
  expect(r.grad!.data.every((v) => v === 0)).toBe(true);
});

it('is zero within float rounding between identical images on the fast path (the default)', async () => {
  // The target's pass runs oneDNN's fused inference kernels, the output's the frozen
  // graph with a backward: the two round differently, by ~1e-13 here.
  const network = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS });
  nets.push(network);
  const same = await perceptualLoss(a, a, { network, layers: [3], grad: true });
  const near = await perceptualLoss(a, b, { network, layers: [3], grad: true });
  const largest = (t: Float32Array) => t.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(same.loss).toBeGreaterThanOrEqual(0);
  expect(same.loss).toBeLessThan(1e-8 * near.loss);
  expect(largest(same.grad!.data)).toBeLessThan(1e-4 * largest(near.grad!.data));
});
