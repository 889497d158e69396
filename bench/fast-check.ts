// The fast path against the plain path on a device (the GPU check runs this on CUDA):
// features at the study layers and the deep-perceptual-loss gradient, as relative
// errors. Exits 1 if one is over the tolerance (features 1e-5 of the largest
// element; gradient 1e-3 in norm: the gradient of a trunk with max-pools is not
// continuous, and a random 1-ulp change of the input moved resnet50's by 3e-4 on
// the plain path alone, see bench/README.md; TF32 off so fp32 is fp32).
//   node dist-bench/fast-check.js --device cuda --networks a,b [--models DIR] [--size 64]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LossNetwork, perceptualLoss, STUDY_NETWORKS, type LoadOptions } from '../dist/index.js';
import { native } from '../dist/native.js';
import { seededImages } from './images.js';
import { l2RelativeError, relativeError } from './stats.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    networks: { type: 'string', default: 'vgg16_bn,resnet18,densenet121,efficientnet_b0,inception_v3' },
    models: { type: 'string', default: '.cache/bench-models' },
    size: { type: 'string', default: '64' },
  },
  strict: true,
});
const size = Number(values.size);
const a = seededImages([2, 3, size, size], 11);
const b = seededImages([2, 3, size, size], 12);
await native().internal.benchSetTf32(false);
let failed = false;
for (const arch of values.networks.split(',')) {
  const layers = [...STUDY_NETWORKS[arch]!.layers];
  const load = (fast: LoadOptions['fast']) =>
    LossNetwork.load(arch, { modelsDir: resolve(values.models), device: values.device, weights: 'random', fast });
  const plain = await load(false);
  const fp = await plain.features(a, layers);
  const lp = await perceptualLoss(a, b, { network: plain, layers, grad: true });
  for (const [name, fast] of [
    ['frozen', true],
    ['frozen+channels-last', { channelsLast: true }],
  ] as const) {
    const quick = await load(fast);
    const ff = await quick.features(a, layers);
    const feat = Math.max(...ff.map((f, i) => relativeError(f.data, fp[i]!.data)));
    const lf = await perceptualLoss(a, b, { network: quick, layers, grad: true });
    const loss = Math.abs(lf.loss - lp.loss) / lp.loss;
    const grad = l2RelativeError(lf.grad!.data, lp.grad!.data);
    const gradMax = relativeError(lf.grad!.data, lp.grad!.data);
    const ok = feat < 1e-5 && loss < 1e-5 && grad < 1e-3;
    failed ||= !ok;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${values.device} ${arch} ${name}: features ${feat.toExponential(1)}, loss ${loss.toExponential(1)}, ` +
        `grad ${grad.toExponential(1)} (norm; largest element ${gradMax.toExponential(1)})`,
    );
    quick.dispose();
  }
  plain.dispose();
}
process.exit(failed ? 1 : 0);
