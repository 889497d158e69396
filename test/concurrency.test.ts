// Many concurrent calls on one network give the results of the same calls in sequence.
import { expect, it } from 'vitest';
import { LossNetwork } from '../src/loss-network.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

it('concurrent features and losses equal sequential ones', async () => {
  const network = await LossNetwork.load('resnet18', { modelsDir: TEST_MODELS });
  const inputs = Array.from({ length: 12 }, (_, i) => randomImages([1, 3, 48, 48], 100 + i));
  const layerSets = [[2], [4, 5], [7], [2, 4, 5, 7]];
  const sequential: Float32Array[][] = [];
  for (const [i, x] of inputs.entries()) sequential.push((await network.features(x, layerSets[i % 4]!)).map((f) => f.data));
  const seqLoss: number[] = [];
  for (let i = 0; i < inputs.length - 1; i++)
    seqLoss.push((await perceptualLoss(inputs[i]!, inputs[i + 1]!, { network, layers: [4], grad: true })).loss);

  const [concurrent, conLoss] = await Promise.all([
    Promise.all(inputs.map((x, i) => network.features(x, layerSets[i % 4]!))),
    Promise.all(inputs.slice(0, -1).map((x, i) => perceptualLoss(x, inputs[i + 1]!, { network, layers: [4], grad: true }))),
  ]);
  concurrent.forEach((feats, i) => feats.forEach((f, j) => expect(f.data).toEqual(sequential[i]![j])));
  expect(conLoss.map((r) => r.loss)).toEqual(seqLoss);
  network.dispose();
});

it('keeps the event loop free while the network works', async () => {
  const network = await LossNetwork.load('vgg16', { modelsDir: TEST_MODELS });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await Promise.all(Array.from({ length: 4 }, (_, i) => network.features(randomImages([2, 3, 96, 96], i), [29])));
  clearInterval(timer);
  expect(ticks).toBeGreaterThan(3);
  network.dispose();
});
