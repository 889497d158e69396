// Every study network (and one network of each other family): the export has the
// registry's children, and LibTorch features equal Python torchvision's.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LossNetwork } from '../src/loss-network.js';
import { readManifest } from '../src/manifest.js';
import { describeArchitecture, STUDY_NETWORKS } from '../src/networks.js';
import { EXTRA_FAMILIES, TEST_MODELS } from './helpers/models.js';
import { randomImages, reference, referencePython, relativeError } from './helpers/reference.js';

const python = referencePython();
const input = randomImages([1, 3, 64, 64], 7);
const opened: LossNetwork[] = [];
afterAll(() => opened.forEach((n) => n.dispose()));

async function open(arch: string): Promise<LossNetwork> {
  const net = await LossNetwork.load(arch, { modelsDir: TEST_MODELS, normalization: 'imagenet' });
  opened.push(net);
  return net;
}

describe.each(Object.entries(STUDY_NETWORKS))('%s', (arch, spec) => {
  it('has the registry number of children', async () => {
    const entry = readManifest(TEST_MODELS).networks[arch]!;
    expect(entry.children).toBe(describeArchitecture(arch)!.children);
    expect((await open(arch)).size).toBe(entry.children);
  });

  it("has study.md's shapes at its 4 layers, equal to Python torchvision", async () => {
    const net = await open(arch);
    const feats = await net.features(input, spec.layers);
    expect(feats.map((f) => f.shape)).toEqual(spec.shapes64.map((s) => [1, ...s]));
    if (!python) return;
    const ref = reference(python, { arch, pt: join(TEST_MODELS, `${arch}.pt`), input, layers: spec.layers, normalization: 'imagenet' });
    feats.forEach((f, i) => {
      expect(f.shape).toEqual(ref.features[i]!.shape);
      expect(relativeError(f.data, ref.features[i]!.data)).toBeLessThan(1e-5);
    });
  });
});

describe.each(EXTRA_FAMILIES)('%s (family beyond the 14)', (arch) => {
  it('has the registry number of children and matches Python at its last layer', async () => {
    const net = await open(arch);
    expect(net.size).toBe(describeArchitecture(arch)!.children);
    const layers = [1, net.size - 1];
    const feats = await net.features(input, layers);
    if (!python) return;
    const ref = reference(python, { arch, pt: join(TEST_MODELS, `${arch}.pt`), input, layers, normalization: 'imagenet' });
    feats.forEach((f, i) => expect(relativeError(f.data, ref.features[i]!.data)).toBeLessThan(1e-5));
  });
});
