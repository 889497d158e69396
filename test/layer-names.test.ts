// Layers by name: torchvision's module names ('features.8'), the children's own names
// ('layer2') and the conventional names ('relu2_2') resolve to child indices in
// TypeScript, wherever the public API takes layers.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuperResolutionTrainer } from '../src/benchmarks/super-resolution-trainer.js';
import { layerNames, resolveLayers } from '../src/layer-names.js';
import { LossNetwork } from '../src/loss-network.js';
import { readManifest } from '../src/manifest.js';
import { STUDY_NETWORK_NAMES, STUDY_NETWORKS } from '../src/networks.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { PerceptualSimilarity } from '../src/similarity.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython } from './helpers/reference.js';

const manifest = readManifest(TEST_MODELS).networks;
const namesOf = (arch: string) => layerNames(arch, manifest[arch]!.children, manifest[arch]!.childNames);

describe('layer names', () => {
  it('every exported network: a torchvision module name for each child, and no name for two children', () => {
    expect(Object.keys(manifest).length).toBeGreaterThanOrEqual(19);
    for (const [arch, entry] of Object.entries(manifest)) {
      const names = namesOf(arch);
      expect(names).toHaveLength(entry.children);
      const all = names.flat();
      expect(new Set(all).size, `${arch}: ${all.join(' ')}`).toBe(all.length);
      names.forEach((n) => expect(n.length).toBeGreaterThan(0));
    }
    expect(namesOf('vgg16')[8]).toEqual(['features.8', 'relu2_2']);
    expect(namesOf('resnet50')[5]).toEqual(['layer2']);
    expect(namesOf('densenet121')[4]).toEqual(['features.denseblock1', 'denseblock1']);
    expect(namesOf('regnet_y_400mf')[3]).toEqual(['trunk_output.block1', 'block1']);
    expect(namesOf('mnasnet0_5')[16]).toEqual(['layers.16']);
  });

  it("the study table's module names (README) resolve to the study's layers", () => {
    for (const arch of STUDY_NETWORK_NAMES) {
      const n = STUDY_NETWORKS[arch]!;
      expect(resolveLayers(n.modules, namesOf(arch), arch), arch).toEqual(n.layers);
    }
    expect(resolveLayers(['relu1', 'relu2', 'relu3', 'relu4', 'relu5'], namesOf('alexnet'), 'alexnet')).toEqual([1, 4, 7, 9, 11]);
    expect(resolveLayers(['relu5_4', 'pool5'], namesOf('vgg19'), 'vgg19')).toEqual([35, 36]);
    expect(resolveLayers(['bn1_1', 'relu1_1', 'pool1'], namesOf('vgg16_bn'), 'vgg16_bn')).toEqual([1, 2, 6]);
  });

  const python = referencePython();
  it.skipIf(!python)("each torchvision name is the child's module in torchvision itself (get_submodule)", () => {
    // One network per children rule (features, top-level, layers, stem+trunk); the small ones, to keep it quick.
    const archs = ['squeezenet1_1', 'densenet121', 'resnet18', 'shufflenet_v2_x0_5', 'mnasnet0_5', 'regnet_y_400mf'];
    const expected = Object.fromEntries(archs.map((a) => [a, namesOf(a).map((n) => n[0])]));
    const script = `
import json, sys
sys.path.insert(0, 'scripts')
from loss_networks import build_model, children_of
want = json.loads(sys.argv[1])
bad = []
for arch, names in want.items():
    model = build_model(arch)
    kids = [m for _, m in children_of(arch, model)]
    if len(kids) != len(names):
        bad.append(f"{arch}: {len(kids)} children, {len(names)} names")
    for i, name in enumerate(names):
        if model.get_submodule(name) is not kids[i]:
            bad.append(f"{arch}: {name} is not child {i}")
print(json.dumps(bad))`;
    const out = spawnSync(python!, ['-c', script, JSON.stringify(expected)], { encoding: 'utf8', timeout: 120_000 });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!)).toEqual([]);
  });
});

describe('the public API takes names', () => {
  let vgg: LossNetwork;
  const a = randomImages([1, 3, 32, 32], 1);
  const b = randomImages([1, 3, 32, 32], 2);
  beforeAll(async () => {
    vgg = await LossNetwork.load('vgg16', { modelsDir: TEST_MODELS });
  });
  afterAll(() => vgg.dispose());

  it('features by name equal features by index', async () => {
    const byName = await vgg.features(a, ['relu2_2', 'features.15', 3]);
    const byIndex = await vgg.features(a, [8, 15, 3]);
    byName.forEach((f, i) => expect(f.data).toEqual(byIndex[i]!.data));
  });

  it('perceptualLoss, PerceptualSimilarity and SuperResolutionTrainer resolve names before native code', async () => {
    const l1 = await perceptualLoss(a, b, { network: vgg, layers: ['relu1_2', 'relu3_3'] });
    const l2 = await perceptualLoss(a, b, { network: vgg, layers: [3, 15] });
    expect(l1.loss).toBe(l2.loss);
    const sim = await PerceptualSimilarity.create({ network: vgg, layers: ['relu1_2', 'relu2_2'] });
    expect(sim.layers).toEqual([3, 8]);
    expect((await sim.distance(a, b))[0]).toBeGreaterThan(0);
    sim.dispose();
    const sr = await SuperResolutionTrainer.create(vgg, { layer: 'relu2_2', factor: 4 });
    const lr = randomImages([1, 3, 16, 16], 3);
    expect(Number.isFinite(await sr.step(lr, randomImages([1, 3, 64, 64], 4)))).toBe(true);
    sr.dispose();
  });

  it('an unknown name is an ERR_DPL_LAYER RangeError that lists the valid names', async () => {
    const e = await vgg.features(a, ['relu2_3']).catch((x: unknown) => x as Error & { code: string });
    expect(e).toBeInstanceOf(RangeError);
    expect(e.code).toBe('ERR_DPL_LAYER');
    expect(e.message).toMatch(/unknown layer 'relu2_3' for vgg16.*8: features\.8 \| relu2_2.*30: features\.30 \| pool5/);
    await expect(perceptualLoss(a, b, { network: vgg, layers: ['conv9'] })).rejects.toThrow(/unknown layer 'conv9'/);
    await expect(vgg.features(a, [{} as unknown as number])).rejects.toThrow(/index or a name/);
  });
});
