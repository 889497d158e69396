// The cost side of `recommend`: how long one deep-perceptual-loss training step
// takes for a (network, layers) on this machine, measured with the bench's step
// (native benchLossStep: target features without grad, output features with
// grad, the MSE over the layers, the gradient to the output images) and cached,
// keyed by everything that changes the figure: the machine, LibTorch, device,
// batch and size.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../data/seeded.js';
import { LossNetwork } from '../loss-network.js';
import { native } from '../native.js';
import type { FloatTensor } from '../tensor.js';

export const STEP_CACHE_FILE = 'loss-step-times.json';
/** Steps run before timing (TorchScript's profiling executor optimises over the first calls), and timed steps (median). */
const WARMUP = 2,
  TIMED = 3;

export interface StepTimeOptions {
  device: string;
  /** Images per step and their side (the bench's defaults: 4 at 128×128). */
  batch: number;
  size: number;
  /** Folder of exports (default: the package's); any weights do, speed does not depend on them. */
  modelsDir?: string;
  /** Folder of the cache file. */
  cacheDir: string;
}

interface CacheFile {
  entries: Record<string, { ms: number; measuredAt: string }>;
}

/** What makes a measured step time valid here: the machine, LibTorch and the step's shape. */
export function stepKey(network: string, layers: number[], o: Pick<StepTimeOptions, 'device' | 'batch' | 'size'>): string {
  let libtorch = 'unknown';
  try {
    libtorch = native().info().torchVersion;
  } catch {
    // no addon: the key still names the rest; measuring will fail with the addon's own remedy
  }
  return JSON.stringify({
    host: hostname(),
    cpu: cpus()[0]?.model ?? '?',
    libtorch,
    device: o.device,
    batch: o.batch,
    size: o.size,
    network,
    layers,
  });
}

export function readStepCache(dir: string): CacheFile {
  const path = join(dir, STEP_CACHE_FILE);
  if (!existsSync(path)) return { entries: {} };
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
  } catch {
    return { entries: {} }; // a damaged cache is remeasured, not trusted
  }
}

export function writeStepCache(dir: string, cache: CacheFile): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, STEP_CACHE_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cache, null, 2) + '\n');
  renameSync(tmp, path);
}

function seededImages(shape: number[], seed: number): FloatTensor {
  const next = mulberry32(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = next();
  return { data, shape };
}

/** Milliseconds per loss step (median of the timed steps), from the cache or measured now and cached. */
export async function lossStepMs(network: string, layers: number[], o: StepTimeOptions): Promise<{ ms: number; cached: boolean }> {
  const key = stepKey(network, layers, o);
  const hit = readStepCache(o.cacheDir).entries[key];
  if (hit) return { ms: hit.ms, cached: true };
  const net = await LossNetwork.load(network, { device: o.device, modelsDir: o.modelsDir });
  try {
    const shape = [o.batch, 3, o.size, o.size];
    const r = await native().internal.benchLossStep(net.handle, seededImages(shape, 1), seededImages(shape, 2), layers, {
      steps: WARMUP + TIMED,
    });
    const timed = r.seconds.slice(WARMUP).sort((a, b) => a - b);
    const ms = 1000 * timed[Math.floor(timed.length / 2)]!;
    const cache = readStepCache(o.cacheDir); // re-read: another process may have added entries meanwhile
    cache.entries[key] = { ms, measuredAt: new Date().toISOString() };
    writeStepCache(o.cacheDir, cache);
    return { ms, cached: false };
  } finally {
    net.dispose();
  }
}
