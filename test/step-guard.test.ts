// The native training steps refuse a non-finite loss or gradient before the
// optimiser steps: the error says so, and the weights and Adam's state are
// those from before the step (the checkpoints written before and after the
// refused step hold the same tensors). The loss network here is an export whose
// first weight is NaN, so every feature, loss and gradient is NaN.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native, type NativeLossNetwork } from '../src/native.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython } from './helpers/reference.js';
import { trainReference } from './helpers/train-reference.js';

const python = referencePython();
const dir = mkdtempSync(join(tmpdir(), 'dpl-step-guard-'));
const nanExport = join(dir, 'alexnet-nan.pt');
const REFUSED =
  /the training loss is nan[^;]*; the step was not applied \(the weights and the optimiser's state are those from before it\)/;
const changed = (pairs: [string, string][]) => trainReference<{ changed: string[][] }>(python!, { op: 'changed', pairs }).changed;

describe.skipIf(!python)('divergence guard', () => {
  beforeAll(() => {
    trainReference(python!, { op: 'nan-export', pt: join(TEST_MODELS, 'alexnet.pt'), out: nanExport });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('super-resolution: a NaN loss is refused before Adam steps; the network is unchanged', async () => {
    const net: NativeLossNetwork = await native().loadLossNetwork(nanExport, 'cpu', 'none');
    const t = await native().createSuperResolutionTrainer(net, { factor: 4, layer: 1, seed: 0, lr: 1e-3, pixelWeight: 0, tvWeight: 0 });
    try {
      const lr = randomImages([2, 3, 8, 8], 1);
      const hr = randomImages([2, 3, 32, 32], 2);
      await t.save(join(dir, 'sr-before.pt'), true);
      await expect(t.step(lr, hr)).rejects.toThrow(REFUSED);
      await expect(t.step(lr, hr)).rejects.toThrow(REFUSED); // and again: no NaN gradient is left behind
      await t.save(join(dir, 'sr-after.pt'), true);
      const [diff] = changed([[join(dir, 'sr-before.pt'), join(dir, 'sr-after.pt')]]);
      // Weights and Adam's state are untouched; only BatchNorm's running statistics moved, by the (finite) train-mode forward.
      expect(diff!.length).toBeGreaterThan(0);
      expect(diff!.filter((k) => !/\.bn\.(running_mean|running_var|num_batches_tracked)$/.test(k))).toEqual([]);
    } finally {
      t.dispose();
      net.dispose();
    }
  });

  it.each([false, true])(
    'similarity (trainable trunk: %s): a NaN loss is refused before Adam steps; weights and judge are unchanged',
    async (trainable) => {
      const net = await native().loadLossNetwork(nanExport, 'cpu', 'imagenet');
      const sim = await native().createSimilarity(net, {
        layers: [1, 4],
        compare: 'spatial',
        channelNorm: true,
        learned: true,
        trainable,
        seed: 3,
        probeSize: 32,
      });
      try {
        const [ref, p0, p1] = [4, 5, 6].map((s) => randomImages([2, 3, 32, 32], s));
        const judge = { data: new Float32Array([0.2, 0.9]), shape: [2] };
        const weights = await sim.getWeights();
        const before = join(dir, `sim-${trainable}-before.pt`);
        const after = join(dir, `sim-${trainable}-after.pt`);
        await sim.saveCheckpoint(before, '');
        await expect(sim.trainStep(ref!, p0!, p1!, judge, 1e-3)).rejects.toThrow(REFUSED);
        await sim.saveCheckpoint(after, '');
        expect(await sim.getWeights()).toEqual(weights);
        // Every parameter (channel weights, judge, trunk) and Adam's state as before; the dropout stream moved on.
        expect(changed([[before, after]])[0]).toEqual(['rng']);
      } finally {
        sim.dispose();
        net.dispose();
      }
    },
  );
});
