// The command line: doctor and export-networks, through the built bin.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { findPythonTorch } from '../src/python.js';
import { TEST_MODELS } from './helpers/models.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
});

describe('doctor', () => {
  it('reports LibTorch, CUDA, BLAS, Python and the exported networks', () => {
    const r = cli(['doctor', '--json'], { DPL_TORCH_MODELS: TEST_MODELS });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.libtorch.version).toMatch(/^\d+\.\d+/);
    expect(typeof report.cuda.available).toBe('boolean');
    expect(report.blas.libraries.length).toBeGreaterThan(0);
    expect(report.models.networks.map((n: { architecture: string }) => n.architecture)).toContain('vgg16');
    expect(report.models.networks.find((n: { architecture: string }) => n.architecture === 'vgg16').weights).toBe('random:0');
    const text = cli(['doctor'], { DPL_TORCH_MODELS: TEST_MODELS });
    expect(text.stdout).toMatch(/LibTorch:\s+\d/);
    expect(text.stdout).toMatch(/vgg16\s+random:0/);
  });
  it('names the remedy when nothing is exported', () => {
    const r = cli(['doctor'], { DPL_TORCH_MODELS: mkdtempSync(join(tmpdir(), 'dpl-empty-')) });
    expect(r.stdout).toMatch(/no exported networks.*export-networks/);
  });
});

describe('export-networks', () => {
  const python = findPythonTorch();
  it('exports seeded random weights and records them in the manifest', () => {
    if (!python) return console.warn('SKIP reason: no Python torch');
    const out = mkdtempSync(join(tmpdir(), 'dpl-export-'));
    const r = cli(['export-networks', '--arch', 'squeezenet1_1', '--weights', 'random', '--seed', '5', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/exported squeezenet1_1 \(13 children, weights random\)/);
    const entry = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).networks.squeezenet1_1;
    expect(entry).toMatchObject({ architecture: 'squeezenet1_1', children: 13, weights: 'random', seed: 5, torchvision: python.torchvision });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  it('exports ImageNet weights from a weights folder, recording their id', () => {
    if (!python) return console.warn('SKIP reason: no Python torch');
    // A stand-in checkpoint under torchvision's file name: the export reads whatever that file holds.
    const hub = mkdtempSync(join(tmpdir(), 'dpl-hub-'));
    mkdirSync(join(hub, 'checkpoints'));
    const make = spawnSync(python.python, ['-c', `import torch, torchvision; torch.manual_seed(3); torch.save(torchvision.models.squeezenet1_1().state_dict(), '${join(hub, 'checkpoints', 'squeezenet1_1-b8a52dc0.pth')}')`]);
    expect(make.status).toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'dpl-export-'));
    const r = cli(['export-networks', '--arch', 'squeezenet1_1', '--weights', 'imagenet', '--weights-dir', hub, '--out', out]);
    expect(r.status).toBe(0);
    const entry = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).networks.squeezenet1_1;
    expect(entry.weights).toBe('IMAGENET1K_V1:squeezenet1_1-b8a52dc0.pth');
    expect(entry.imagenetTop1).toBeCloseTo(58.178, 3);
  });
  it('fails with the remedy, and exports nothing random, when ImageNet weights cannot be had', () => {
    if (!python) return console.warn('SKIP reason: no Python torch');
    const out = mkdtempSync(join(tmpdir(), 'dpl-export-'));
    const hub = mkdtempSync(join(tmpdir(), 'dpl-hub-'));
    const r = cli(['export-networks', '--arch', 'alexnet', '--weights', 'imagenet', '--weights-dir', hub, '--out', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/could not get ImageNet weights for alexnet[\s\S]*alexnet-owt-7be5be79\.pth[\s\S]*--weights-dir/);
    expect(existsSync(join(out, 'alexnet.pt'))).toBe(false);
  });
  it('rejects unknown architectures and options before starting Python', () => {
    expect(cli(['export-networks', '--arch', 'vgg17']).stderr).toMatch(/unknown architecture 'vgg17'/);
    expect(cli(['export-networks', '--weights', 'pretrained']).stderr).toMatch(/--weights must be 'imagenet' or 'random'/);
    expect(cli(['export-networks', '--bogus']).stderr).toMatch(/Unknown option '--bogus'/);
    expect(cli(['frobnicate']).stderr).toMatch(/unknown command 'frobnicate'/);
  });
  it('a loaded export from another folder works through LossNetwork.load by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-copy-'));
    copyFileSync(join(TEST_MODELS, 'alexnet.pt'), join(dir, 'alexnet.pt'));
    copyFileSync(join(TEST_MODELS, 'manifest.json'), join(dir, 'manifest.json'));
    const { LossNetwork } = await import('../src/loss-network.js');
    const net = await LossNetwork.load(join(dir, 'alexnet.pt'));
    expect(net.size).toBe(13);
    expect(net.weightsId).toBe('random:0');
    net.dispose();
  });
});
