// Study config files: good JSON and YAML parse; each bad field yields an error naming it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStudyConfig, readStudyConfig } from '../src/study/config.js';
import { planRuns } from '../src/study/plan.js';
import { preset } from '../src/study/presets.js';
import { defaultDataDir, defaultRegistry, type Registry, type StudyBenchmark } from '../src/study/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'dpl-study-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('study config', () => {
  it('reads JSON and YAML files to the same config', () => {
    const json = readStudyConfig(
      file(
        's.json',
        JSON.stringify({
          benchmarks: { 'super-resolution': { variants: ['x4'], options: { epochs: 2 } }, similarity: {} },
          networks: ['vgg16', 'alexnet'],
          layers: { vgg16: [3, 8] },
          repetitions: 2,
          seeds: [7, 9],
          device: 'cuda:1',
          out: 'runs/mine',
        }),
      ),
    );
    const yaml = readStudyConfig(
      file(
        's.yaml',
        `
benchmarks:
  super-resolution:
    variants: [x4]
    options: { epochs: 2 }
  similarity: {}
networks: [vgg16, alexnet]
layers:
  vgg16: [3, 8]
repetitions: 2
seeds: [7, 9]
device: cuda:1
out: runs/mine
`,
      ),
    );
    expect(yaml).toEqual(json);
    expect(json).toMatchObject({ repetitions: 2, seeds: [7, 9], device: 'cuda:1', weights: 'imagenet', seed: 0 });
    expect(readStudyConfig(file('min.yml', 'benchmarks: [similarity]\n'))).toMatchObject({
      benchmarks: ['similarity'],
      networks: 'paper',
      layers: 'paper',
      repetitions: 1,
      device: 'cpu',
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ['benchmarks missing', {}, /benchmarks/],
    ['unknown benchmark', { benchmarks: ['colorization'] }, /benchmarks\.0.*similarity/],
    ['unknown benchmark key', { benchmarks: { sr: {} } }, /benchmarks.*sr|sr.*benchmarks/],
    ['bad network', { benchmarks: ['similarity'], networks: ['vgg17'] }, /networks\.0: .*torchvision architecture/],
    ['bad layers', { benchmarks: ['similarity'], layers: { vgg16: [-1] } }, /layers\.vgg16\.0/],
    [
      'layer out of range',
      { benchmarks: ['similarity'], layers: { alexnet: [13] } },
      /layers\.alexnet: layer 13 is out of range \(0\.\.12\)/,
    ],
    ['bad repetitions', { benchmarks: ['similarity'], repetitions: 0 }, /repetitions/],
    ['too few seeds', { benchmarks: ['similarity'], repetitions: 3, seeds: [1] }, /seeds: needs one seed per repetition/],
    ['bad device', { benchmarks: ['similarity'], device: 'gpu' }, /device: use 'auto', 'cpu', 'cuda' or 'cuda:N'/],
    ['bad weights', { benchmarks: ['similarity'], weights: 'random' }, /weights: .*imagenet.*any/],
    ['bad variants', { benchmarks: { similarity: { variants: [] } } }, /benchmarks\.similarity\.variants/],
    ['bad option type', { benchmarks: { similarity: { options: 3 } } }, /benchmarks\.similarity\.options/],
    ['unknown field', { benchmarks: ['similarity'], epochs: 3 }, /epochs/],
    ['unknown benchmark field', { benchmarks: { similarity: { epoch: 3 } } }, /benchmarks\.similarity.*epoch/],
  ];
  for (const [what, value, message] of bad) {
    it(`names the bad field: ${what}`, () => {
      expect(() => parseStudyConfig(value)).toThrow(message);
    });
  }

  it('says which file is broken', () => {
    expect(() => readStudyConfig(file('broken.yaml', 'benchmarks: [similarity\n'))).toThrow(/broken\.yaml is not valid YAML/);
    expect(() => readStudyConfig(file('bad.json', '{"benchmarks": ["x"]}'))).toThrow(/study config .*bad\.json: benchmarks\.0/);
  });
});

describe('run plan', () => {
  const entry = (name: 'similarity' | 'super-resolution', layerMode: 'single' | 'together'): StudyBenchmark => ({
    benchmark: { name, primaryMetric: 'm', higherIsBetter: true, run: async () => ({ metrics: {}, weightsId: 'x' }) },
    layerMode,
    variants: { paper: name === 'similarity' ? ['baseline', 'lin'] : ['x4'], quick: ['x4'] },
    deterministicVariants: name === 'similarity' ? ['baseline'] : [],
    paperOptions: (data) => ({ epochs: 80, root: data }),
    quickOptions: (data) => ({ epochs: 1, root: data }),
    makeQuickData: async () => {},
  });
  const registry: Registry = { similarity: entry('similarity', 'together'), 'super-resolution': entry('super-resolution', 'single') };

  it('expands the paper grid: similarity one multi-layer run per network, SR one per layer', () => {
    const config = parseStudyConfig({ benchmarks: ['similarity', 'super-resolution'], repetitions: 4 });
    const runs = planRuns(config, registry, 'paper', '/tmp/out');
    const sim = runs.filter((r) => r.identity.benchmark === 'similarity');
    const sr = runs.filter((r) => r.identity.benchmark === 'super-resolution');
    expect(sim).toHaveLength(14 * (1 + 4)); // baseline once, lin ×4
    expect(sim[0]!.identity.layers).toHaveLength(4);
    expect(sr).toHaveLength(56 * 4);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(
      sr.find((r) => r.identity.network === 'vgg16' && r.identity.layers[0] === 29 && r.identity.repetition === 3)!.identity.seed,
    ).toBe(3);
  });

  it('gives stable ids that change with the options but not with the data or output folder', () => {
    const config = parseStudyConfig({ benchmarks: ['super-resolution'], networks: ['alexnet'] });
    const a = planRuns(config, registry, 'quick', '/tmp/out-a').map((r) => r.id);
    const b = planRuns(config, registry, 'quick', '/tmp/elsewhere').map((r) => r.id);
    expect(a).toEqual(b);
    expect(a[0]).toMatch(/^super-resolution-alexnet-l1-x4-r0-[0-9a-f]{10}$/);
    const c = planRuns(
      parseStudyConfig({ benchmarks: { 'super-resolution': { options: { epochs: 2 } } }, networks: ['alexnet'] }),
      registry,
      'quick',
      '/tmp/out-a',
    );
    expect(c.map((r) => r.id)).not.toEqual(a);
    expect(c[0]!.spec.options).toEqual({ epochs: 2, root: '/tmp/out-a/data/super-resolution' });
  });

  it('refuses a benchmark that is not implemented, naming those that are', () => {
    expect(() => planRuns(parseStudyConfig({ benchmarks: ['delineation'] }), registry, 'paper', '/tmp/o')).toThrow(
      /benchmark 'delineation' is not implemented.*available: similarity, super-resolution/,
    );
  });

  it("lays out the paper preset with the real benchmarks: ImageNet weights only, the spec's grid", async () => {
    const registry = await defaultRegistry();
    const p = preset('paper', registry);
    const config = parseStudyConfig(p.config);
    expect(config).toMatchObject({ weights: 'imagenet', repetitions: 4, networks: expect.arrayContaining(['vgg16', 'efficientnet_b7']) });
    const runs = planRuns(config, registry, p.scale, '/tmp/paper');
    const count = (b: string, v: string) => runs.filter((r) => r.identity.benchmark === b && r.identity.variant === v).length;
    expect(count('similarity', 'baseline')).toBe(14);
    expect(count('similarity', 'lin')).toBe(14 * 4);
    expect(count('super-resolution', 'x4')).toBe(56 * 4);
    // Autoencoding: 56 (network, layer) runs plus the pixel-loss baseline per dataset, 4 repetitions.
    expect(count('autoencoder', 'svhn')).toBe(57 * 4);
    expect(count('autoencoder', 'stl10')).toBe(57 * 4);
    const pixel = runs.filter((r) => r.identity.network === 'pixel');
    expect(pixel).toHaveLength(2 * 4);
    expect(pixel.every((r) => r.identity.benchmark === 'autoencoder' && r.identity.layers.length === 0)).toBe(true);
    const ae = runs.find((r) => r.identity.benchmark === 'autoencoder')!;
    expect(ae.spec.options).toMatchObject({
      epochs: 50,
      patience: 10,
      batchSize: 256,
      probeEpochs: 500,
      probePatience: 25,
      download: true,
    });
    expect(runs.every((r) => r.spec.options.weights === 'imagenet')).toBe(true);
    const sr = runs.find((r) => r.identity.benchmark === 'super-resolution')!;
    expect(sr.spec.options).toMatchObject({ epochs: 80, stepsPerEpoch: 2500, batchSize: 4, hrSize: 288, download: true });
    expect(count('delineation', 'unet')).toBe(56 * 4);
    const del = runs.find((r) => r.identity.benchmark === 'delineation')!;
    expect(del.spec.options).toMatchObject({
      epochs: 100,
      batchSize: 8,
      lr: 1e-3,
      cropSize: 224,
      iterations: 3,
      featureWeight: 0.01,
      threshold: 0.3,
      tolerance: 3,
      download: true,
    });
    expect(del.spec.options.mrd).toBe(join(defaultDataDir('delineation'), 'mrd'));
  });

  it('lays out the quick preset on a few networks with any weights', async () => {
    const registry = await defaultRegistry();
    const p = preset('quick', registry);
    expect(p.config).toMatchObject({ weights: 'any', networks: ['alexnet', 'vgg11', 'squeezenet1_1', 'resnet18'] });
    const runs = planRuns(parseStudyConfig(p.config), registry, p.scale, '/tmp/quick');
    expect(runs.every((r) => r.spec.options.weights === 'any')).toBe(true);
    expect(runs.filter((r) => r.identity.benchmark === 'super-resolution')).toHaveLength(4 * 3);
    expect(runs.filter((r) => r.identity.benchmark === 'delineation')).toHaveLength(4 * 3);
    expect(runs.filter((r) => r.identity.benchmark === 'autoencoder')).toHaveLength(2 * (4 * 3 + 1));
  });
});
