#!/usr/bin/env node
// The native side of bench/grad_check.py: dpl-torch's fast path against its plain path,
// the loss at each study layer alone and all together, and the plain path run twice
// (run-to-run spread of the device's kernels), as relative gradient norms. With TF32 off.
// bench/grad_check.py says why a gradient jumps (ReLU and max-pool flips); this says
// where the native fast path's difference sits.
//   node bench/grad-check.mjs --device cuda --models DIR [--networks inception_v3] [--size 64]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    models: { type: 'string', default: '.cache/bench-models' },
    networks: { type: 'string', default: 'inception_v3' },
    size: { type: 'string', default: '64' },
    dist: { type: 'string', default: 'dist' },
  },
});
const { LossNetwork, perceptualLoss, STUDY_NETWORKS } = await import(resolve(values.dist, 'index.js'));
const { native } = await import(resolve(values.dist, 'native.js'));
const { mulberry32 } = await import(resolve(values.dist, 'data', 'seeded.js'));

const images = (seed, size) => {
  const next = mulberry32(seed);
  return { data: Float32Array.from({ length: 2 * 3 * size * size }, () => next()), shape: [2, 3, size, size] };
};
const l2rel = (x, ref) => {
  let d = 0,
    n = 0;
  for (let i = 0; i < ref.length; i++) {
    d += (x[i] - ref[i]) ** 2;
    n += ref[i] ** 2;
  }
  return Math.sqrt(d) / (Math.sqrt(n) + 1e-30);
};
const size = Number(values.size);
const a = images(11, size),
  b = images(12, size);
await native().internal.benchSetTf32(false);
console.log(`device ${values.device}, ${size}x${size}, batch 2, TF32 off; relative gradient differences in norm`);
console.log(
  `${'network'.padEnd(14)} ${'loss at'.padEnd(10)} ${'loss'.padStart(12)} ${'plain again'.padStart(12)} ${'fast'.padStart(10)} ${'fast loss'.padStart(10)}`,
);
for (const arch of values.networks.split(',')) {
  const study = [...STUDY_NETWORKS[arch].layers];
  const load = (fast) => LossNetwork.load(arch, { modelsDir: resolve(values.models), device: values.device, weights: 'random', fast });
  const [plain, fast] = [await load(false), await load(true)];
  for (const layers of [study, ...study.map((l) => [l])]) {
    const p1 = await perceptualLoss(a, b, { network: plain, layers, grad: true });
    const p2 = await perceptualLoss(a, b, { network: plain, layers, grad: true });
    const f = await perceptualLoss(a, b, { network: fast, layers, grad: true });
    console.log(
      `${arch.padEnd(14)} ${(layers.length > 1 ? 'all' : `layer ${layers[0]}`).padEnd(10)} ${p1.loss.toPrecision(6).padStart(12)} ` +
        `${l2rel(p2.grad.data, p1.grad.data).toExponential(2).padStart(12)} ${l2rel(f.grad.data, p1.grad.data).toExponential(2).padStart(10)} ` +
        `${(Math.abs(f.loss - p1.loss) / p1.loss).toExponential(1).padStart(10)}`,
    );
  }
  plain.dispose();
  fast.dispose();
}
