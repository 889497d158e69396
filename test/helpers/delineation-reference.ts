// Calls test/helpers/delineation_reference.py: the spec's U-Net in Python
// PyTorch, loaded with the native trainer's state dict.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FloatTensor } from '../../src/tensor.js';

const SCRIPT = join(import.meta.dirname, 'delineation_reference.py');

export interface DelineationRequest {
  state: Record<string, FloatTensor>;
  images: FloatTensor;
  masks: FloatTensor;
  iterations: number;
  mu?: number;
  lr?: number;
  /** The loss network for the feature term: an export's architecture, path and layer. */
  lossNetwork?: { arch: string; pt: string; layer: number };
}

function readF32(path: string, shape: number[]): FloatTensor {
  const buf = readFileSync(path);
  return { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), shape };
}

function call<T>(python: string, op: 'forward' | 'step', req: DelineationRequest, read: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-delref-'));
  try {
    const state: Record<string, [string, number[]]> = {};
    for (const [name, t] of Object.entries(req.state)) {
      const path = join(dir, `in-${name}.f32`);
      writeFileSync(path, t.data);
      state[name] = [path, t.shape];
    }
    writeFileSync(join(dir, 'images.f32'), req.images.data);
    writeFileSync(join(dir, 'masks.f32'), req.masks.data);
    const body = {
      op,
      state,
      images: join(dir, 'images.f32'),
      masks: join(dir, 'masks.f32'),
      shape: req.images.shape,
      iterations: req.iterations,
      mu: req.mu ?? 0,
      lr: req.lr ?? 1e-3,
      out: dir,
      ...(req.lossNetwork ? { arch: req.lossNetwork.arch, pt: req.lossNetwork.pt, layer: req.lossNetwork.layer } : {}),
    };
    const r = spawnSync(python, [SCRIPT], { input: JSON.stringify(body), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`delineation_reference.py failed: ${r.stderr}`);
    return read(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last iteration's output in eval mode. */
export function referenceForward(python: string, req: DelineationRequest): FloatTensor {
  const [n, , h, w] = req.images.shape as [number, number, number, number];
  return call(python, 'forward', req, (dir) => readF32(join(dir, 'output.f32'), [n, 1, h, w]));
}

/** One training step: the loss and the updated state dict. */
export function referenceStep(python: string, req: DelineationRequest): { loss: number; state: Record<string, FloatTensor> } {
  return call(python, 'step', req, (dir) => ({
    loss: (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { loss: number }).loss,
    state: Object.fromEntries(Object.entries(req.state).map(([name, t]) => [name, readF32(join(dir, `${name}.f32`), t.shape)])),
  }));
}
