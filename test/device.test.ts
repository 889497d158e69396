// --device auto, and commands that refuse before any work: CUDA where it is not
// usable (the study would otherwise start every run to fail each the same way), and
// a layer past a network's end (super-resolution would otherwise read or download
// its data first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDevice } from '../src/device.js';
import { native } from '../src/native.js';
import { packageRoot } from '../src/paths.js';
import { parseStudyConfig } from '../src/study/config.js';
import { TEST_MODELS } from './helpers/models.js';

const BIN = join(packageRoot, 'dist', 'cli', 'main.js');
const env = { ...process.env, DPL_TORCH_QUICK_SCALE: 'tiny', DPL_TORCH_MODELS: TEST_MODELS };
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 240_000 });
const info = native().info();

describe('--device auto', () => {
  it('is CUDA when the addon sees a CUDA device, else the CPU; study configs take it', () => {
    expect(resolveDevice('auto')).toBe(info.cudaAvailable ? 'cuda' : 'cpu');
    expect(resolveDevice('cpu')).toBe('cpu');
    expect(parseStudyConfig({ benchmarks: ['similarity'], device: 'auto' }).device).toBe('auto');
    expect(() => parseStudyConfig({ benchmarks: ['similarity'], device: 'gpu' })).toThrow(/device: use 'auto', 'cpu', 'cuda' or 'cuda:N'/);
    expect(() => resolveDevice('cuda:x')).toThrow(/use 'auto', 'cpu', 'cuda' or 'cuda:N'/);
  });
});

describe('refused before any run', () => {
  it('run --device cuda where CUDA is not usable: one message, no run started', () => {
    if (info.cudaAvailable) return console.warn('SKIP reason: CUDA is usable here');
    const out = mkdtempSync(join(tmpdir(), 'dpl-device-'));
    const r = cli(['run', '--device', 'cuda', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `dpl-torch: device 'cuda': CUDA is not usable here: the addon was built for a CPU LibTorch (${info.torchVersion}). ` +
        "use device 'cpu', or 'auto' (CUDA when available); for CUDA, install a CUDA LibTorch and its prebuilt or rebuild (README, \"LibTorch with CUDA\")",
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('super-resolution and similarity with a layer past the network end, or on an unusable CUDA, before reading data', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'dpl-layer-')), 'coco');
    const sr = cli(['super-resolution', '--network', 'vgg16', '--layer', '99', '--coco', missing, '--tests', missing, '--download']);
    expect(sr.status).toBe(1);
    expect(sr.stderr).toBe('dpl-torch: --layer 99 is past the end of vgg16: it has 31 children, so layers run 0..30\n');
    expect(existsSync(missing)).toBe(false);
    const sim = cli(['similarity', '--network', 'alexnet', '--layers', '1,13', '--bapps', missing, '--download']);
    expect(sim.stderr).toBe('dpl-torch: --layers 13 is past the end of alexnet: it has 13 children, so layers run 0..12\n');
    expect(existsSync(missing)).toBe(false);
    if (info.cudaAvailable) return;
    const cuda = cli([
      'super-resolution',
      '--network',
      'vgg16',
      '--layer',
      '8',
      '--coco',
      missing,
      '--tests',
      missing,
      '--download',
      '--device',
      'cuda:1',
    ]);
    expect(cuda.stderr).toMatch(/^dpl-torch: device 'cuda:1': CUDA is not usable here/);
    expect(existsSync(missing)).toBe(false);
  });
});
