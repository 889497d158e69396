// LPIPS's published weight layout imports, and PerceptualSimilarity with the
// converted file computes what the official LPIPS formulation computes
// (test/helpers/lpips_reference.py: eps outside the root, lin layers as 1x1
// convolutions loaded from the .pth, spatial average), on the same trunk.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LossNetwork } from '../src/loss-network.js';
import { convertLpipsWeights, LPIPS_TRUNKS } from '../src/lpips-weights.js';
import { packageRoot } from '../src/paths.js';
import { PerceptualSimilarity } from '../src/similarity.js';
import type { FloatTensor } from '../src/tensor.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython, relativeError } from './helpers/reference.js';

const python = referencePython();
const dir = mkdtempSync(join(tmpdir(), 'dpl-lpips-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lpips(body: Record<string, unknown>): void {
  const r = spawnSync(python!, [join(import.meta.dirname, 'helpers', 'lpips_reference.py')], {
    input: JSON.stringify(body),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`lpips_reference.py failed: ${r.stderr}`);
}

function officialDistance(arch: string, pt: string, pth: string, a: FloatTensor, b: FloatTensor): Float32Array {
  writeFileSync(join(dir, 'a.f32'), a.data);
  writeFileSync(join(dir, 'b.f32'), b.data);
  lpips({ op: 'distance', arch, pt, pth, a: join(dir, 'a.f32'), b: join(dir, 'b.f32'), shape: a.shape, out: join(dir, 'd.f32') });
  const buf = readFileSync(join(dir, 'd.f32'));
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
}

describe.skipIf(!python)('LPIPS weights', () => {
  it.each(['alexnet', 'squeezenet1_1'])('a .pth in LPIPS layout converts, and %s gives the official LPIPS distance', async (arch) => {
    const pth = join(dir, `${arch}.pth`);
    lpips({ op: 'write-pth', out: pth, channels: LPIPS_TRUNKS[arch]!.channels, seed: 5 });
    const net = await LossNetwork.load(arch, { modelsDir: TEST_MODELS, normalization: 'lpips' });
    const file = convertLpipsWeights(pth, { weightsId: net.weightsId }); // the trunk told by the channel counts
    expect(file.network).toBe(arch);
    expect(file.layers).toEqual(LPIPS_TRUNKS[arch]!.layers);
    expect(file.normalization).toBe('lpips');
    const json = join(dir, `${arch}.json`);
    writeFileSync(json, JSON.stringify(file));
    const sim = new PerceptualSimilarity({ network: net, layers: file.layers, weights: json });
    try {
      const a = randomImages([3, 3, 64, 64], 31);
      const b = randomImages([3, 3, 64, 64], 32);
      const ours = await sim.distance(a, b);
      const official = officialDistance(arch, net.path, pth, a, b);
      expect(ours.every((d) => d > 0)).toBe(true);
      expect(relativeError(ours, official)).toBeLessThan(1e-5);
      // The weights matter: the plain channel sum is another distance.
      const plain = new PerceptualSimilarity({ network: net, layers: file.layers });
      expect(relativeError(await plain.distance(a, b), official)).toBeGreaterThan(0.1);
      plain.dispose();
    } finally {
      sim.dispose();
      net.dispose();
    }
  });

  it('refuses files that do not fit, naming the remedy', async () => {
    const pth = join(dir, 'odd.pth');
    lpips({ op: 'write-pth', out: pth, channels: [64, 100], seed: 1 });
    expect(() => convertLpipsWeights(pth, { weightsId: 'x' })).toThrow(/channels, which fit none of LPIPS's trunks/);
    const alex = join(dir, 'alexnet.pth');
    expect(() => convertLpipsWeights(alex, { network: 'vgg', weightsId: 'x' })).toThrow(/LPIPS's vgg \(vgg16\) has 64, 128/);
    expect(() => convertLpipsWeights(alex, { network: 'resnet18', weightsId: 'x' })).toThrow(/LPIPS has no trunk 'resnet18'/);
    writeFileSync(join(dir, 'not.pth'), 'not a torch file');
    expect(() => convertLpipsWeights(join(dir, 'not.pth'), { weightsId: 'x' })).toThrow(/cannot read LPIPS weights from/);
    const net = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, normalization: 'lpips' });
    expect(() => new PerceptualSimilarity({ network: net, layers: [1, 4, 7, 9, 11], weights: alex })).toThrow(/convert-lpips-weights/);
    net.dispose();
  });

  it('converts on the command line, tied to the export in the models folder', () => {
    const bin = join(packageRoot, 'dist', 'cli', 'main.js');
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    const out = join(dir, 'cli.json');
    const refused = cli(['convert-lpips-weights', join(dir, 'alexnet.pth'), out, '--network', 'alex', '--models-dir', TEST_MODELS]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/random weights \(random:0\).*--weights imagenet, or pass --allow-random-weights/);
    const ok = cli(['convert-lpips-weights', join(dir, 'alexnet.pth'), out, '--models-dir', TEST_MODELS, '--allow-random-weights']);
    expect(ok.status, ok.stderr).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file).toMatchObject({
      network: 'alexnet',
      weightsId: 'random:0',
      layers: [1, 4, 7, 9, 11],
      compare: 'spatial',
      normalization: 'lpips',
    });
    expect(file.weights.map((w: { values: number[] }) => w.values.length)).toEqual(LPIPS_TRUNKS.alexnet!.channels);
  });
});
