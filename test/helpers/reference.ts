// Calls test/helpers/torch_reference.py (Debian's /usr/bin/python3 torchvision).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FloatTensor } from '../../src/tensor.js';
import { findPythonTorch } from '../../src/python.js';
import { mulberry32 } from '../../src/data/seeded.js';

const SCRIPT = join(import.meta.dirname, 'torch_reference.py');

/** The python to use, or null (tests then skip with this reason printed). */
export function referencePython(): string | null {
  const found = findPythonTorch();
  if (!found) console.warn('SKIP reason: no Python with torch+torchvision; the Python comparisons cannot run here');
  return found?.python ?? null;
}

export interface Reference {
  features: FloatTensor[];
  loss?: number;
  grad?: FloatTensor;
}

function readF32(path: string, shape: number[]): FloatTensor {
  const buf = readFileSync(path);
  return { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), shape };
}

export function reference(
  python: string,
  req: { arch: string; pt: string; input: FloatTensor; layers: number[]; normalization: string; target?: FloatTensor; distance?: string },
): Reference {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-ref-'));
  try {
    writeFileSync(join(dir, 'input.f32'), req.input.data);
    const body: Record<string, unknown> = {
      arch: req.arch,
      pt: req.pt,
      input: join(dir, 'input.f32'),
      shape: req.input.shape,
      layers: req.layers,
      normalization: req.normalization,
      out: dir,
    };
    if (req.target) {
      writeFileSync(join(dir, 'target.f32'), req.target.data);
      body.target = join(dir, 'target.f32');
      body.distance = req.distance ?? 'mse';
    }
    const r = spawnSync(python, [SCRIPT], { input: JSON.stringify(body), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`torch_reference.py failed: ${r.stderr}`);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { shapes: number[][]; loss?: number };
    return {
      features: result.shapes.map((s, i) => readF32(join(dir, `feature_${i}.f32`), s)),
      loss: result.loss,
      grad: req.target ? readF32(join(dir, 'grad.f32'), req.input.shape) : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Largest |a-b| over largest |b|: the bench's measure, so tests and bench agree. */
export { relativeError } from '../../bench/stats.js';

/** A seeded [0,1) image batch (mulberry32), so every run sees the same input. */
export function randomImages(shape: number[], seed = 1): FloatTensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = next();
  return { data, shape };
}
