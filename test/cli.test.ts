// The command line through the built bin: doctor, export-networks, and the
// single-run commands' shared progress, metrics and Ctrl-C (src/cli/run-one.ts).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { onCtrlC, sameCommand } from '../src/cli/interrupt.js';
import { makeSyntheticBapps } from '../src/data/synthetic-bapps.js';
import { makeSyntheticSrData } from '../src/data/synthetic-sr.js';
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
    expect(entry).toMatchObject({
      architecture: 'squeezenet1_1',
      children: 13,
      weights: 'random',
      seed: 5,
      torchvision: python.torchvision,
    });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  it('exports ImageNet weights from a weights folder, recording their id', () => {
    if (!python) return console.warn('SKIP reason: no Python torch');
    // A stand-in checkpoint under torchvision's file name: the export reads whatever that file holds.
    const hub = mkdtempSync(join(tmpdir(), 'dpl-hub-'));
    mkdirSync(join(hub, 'checkpoints'));
    const make = spawnSync(python.python, [
      '-c',
      `import torch, torchvision; torch.manual_seed(3); torch.save(torchvision.models.squeezenet1_1().state_dict(), '${join(hub, 'checkpoints', 'squeezenet1_1-b8a52dc0.pth')}')`,
    ]);
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

describe('single-run commands (similarity, super-resolution)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dpl-run-one-'));
  const bapps = join(tmp, 'bapps');
  let sr: { coco: string; tests: string };
  beforeAll(async () => {
    await makeSyntheticBapps(bapps, { seed: 3, perSubset: 12, size: 64 });
    sr = await makeSyntheticSrData(join(tmp, 'sr'), { seed: 5, train: 8, val: 2, test: 2, size: [48, 64] });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const similarityArgs = (out: string) => [
    'similarity',
    '--network',
    'alexnet',
    '--layers',
    '1,4',
    '--variant',
    'lin',
    '--bapps',
    bapps,
    '--epochs',
    '1',
    '--batch',
    '12',
    '--allow-random-weights',
    '--models-dir',
    TEST_MODELS,
    '--out',
    out,
  ];
  const srArgs = (out: string, epochs: number, steps: number) => [
    'super-resolution',
    '--network',
    'alexnet',
    '--layer',
    '1',
    '--coco',
    sr.coco,
    '--tests',
    sr.tests,
    '--out',
    out,
    '--epochs',
    String(epochs),
    '--steps',
    String(steps),
    '--train-images',
    '8',
    '--val-images',
    '2',
    '--hr-size',
    '32',
    '--batch',
    '2',
    '--test-images',
    '2',
    '--models',
    TEST_MODELS,
  ];

  it('both print progress on stderr and the metrics on stdout in one format', () => {
    const runs = [
      {
        id: 'similarity-alexnet-1_4-lin-seed0',
        args: similarityArgs(join(tmp, 'sim')),
        dir: join(tmp, 'sim', 'similarity-alexnet-1_4-lin-seed0'),
        metric: '2afc.mean',
      },
      { id: 'sr', args: srArgs(join(tmp, 'sr-run'), 1, 4), dir: join(tmp, 'sr-run'), metric: 'psnr.mean' },
    ];
    for (const run of runs) {
      const r = cli(run.args);
      expect(r.status, r.stderr).toBe(0);
      const id = run.dir.split('/').at(-1)!;
      const err = r.stderr.split('\n');
      // Not a TTY: plain lines, no escape codes; the run's header, its log indented, a progress line at the start, every 5 s and at each phase's end, and its end.
      expect(r.stderr).not.toContain('\x1b');
      expect(err[0]).toBe(`[1/1] ${id}`);
      const progress = err.filter((l) => l.startsWith(`  ${id}: `));
      expect(progress.length).toBeGreaterThan(0);
      for (const l of progress) expect(l).toMatch(new RegExp(`^  ${id}: \\d+/\\d+ .+ \\(run ETA (\\d+:\\d\\d|--:--)\\)$`));
      expect(progress.some((l) => / epoch 1\/1 /.test(l))).toBe(true);
      expect(err).toContainEqual(expect.stringMatching(/^  done in \d+:\d\d$/));
      const out = r.stdout.trim().split('\n');
      expect(out[0]).toBe('weights: random:0');
      expect(out).toContainEqual(expect.stringMatching(new RegExp(`^${run.metric.replace('.', '\\.')} +\\d+\\.\\d{4}$`)));
      expect(out).toContain(`run folder: ${run.dir}`);
      expect(r.stdout).not.toMatch(/epoch|ETA/);
    }
  });

  it('super-resolution stops on Ctrl-C with exit code 130 and says how to resume; the same command resumes', async () => {
    const out = join(tmp, 'sr-sigint');
    const args = srArgs(out, 2, 100);
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const end = Date.now() + 120_000;
    while (!/: 1\/200 epoch 1\/2/.test(stderr)) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`no first step: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    expect(await exit, stderr).toBe(130);
    expect(stderr).toContain('dpl-torch: stopping at the next step, after saving a checkpoint (Ctrl-C again to quit at once)...');
    expect(stderr).toMatch(/^  interrupted in \d+:\d\d$/m);
    expect(stderr).toContain(`To resume, run the same command again: npx dpl-torch ${args.join(' ')}`);
    const stopped = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).globalStep;
    expect(stopped).toBeGreaterThan(0);
    expect(stopped).toBeLessThan(200);

    const again = cli(args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resumed at step ${stopped} (epoch`);
    expect(again.stdout).toMatch(/^psnr\.mean +\d+\.\d{4}$/m);
    expect(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).globalStep).toBe(200);
  });

  it('a second Ctrl-C exits at once with 130 and says the checkpoint may be older', () => {
    const before = process.listeners('SIGINT');
    const ctrlC = onCtrlC({ first: 'stopping', second: 'the last checkpoint saved resumes' });
    const [handler] = process.listeners('SIGINT').filter((l) => !before.includes(l));
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      (handler as () => void)();
      expect(ctrlC.signal.aborted).toBe(true);
      expect(exit).not.toHaveBeenCalled();
      (handler as () => void)();
      expect(exit).toHaveBeenCalledWith(130);
      expect(err.mock.calls.map((c) => String(c[0]).trim())).toEqual([
        'dpl-torch: stopping (Ctrl-C again to quit at once)...',
        'dpl-torch: second Ctrl-C, exiting now (the last checkpoint saved resumes)',
      ]);
    } finally {
      exit.mockRestore();
      err.mockRestore();
      ctrlC.dispose();
    }
    expect(process.listeners('SIGINT')).toEqual(before);
  });

  it("delineation refuses a layer past the network's end before it reads any data", () => {
    const r = cli(['delineation', '--network', 'vgg19', '--layer', '37', '--mrd', join(tmp, 'no-mrd-here')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--layer 37 is past the end of vgg19: it has 37 children, so layers run 0\.\.36/);
    expect(r.stderr).not.toMatch(/MRD/);
    expect(cli(['delineation', '--network', 'vgg19', '--mrd', join(tmp, 'x')]).stderr).toMatch(/--layer is required/);
    expect(cli(['--help']).stdout).toMatch(/^  delineation +train and evaluate one road-delineation U-Net/m);
  });

  it('quotes the command that resumes a run', () => {
    expect(sameCommand('similarity', ['--bapps', '/data/my bapps', '--network', 'vgg16'])).toBe(
      "npx dpl-torch similarity --bapps '/data/my bapps' --network vgg16",
    );
  });
});
