// Calls test/helpers/autoencoder_reference.py (Debian's /usr/bin/python3 with
// torch): the spec's autoencoder and probes in Python PyTorch, loaded with the
// native model's state dict. State dicts travel as folders of .f32 files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatTensor } from '../../src/tensor.js';

const SCRIPT = join(import.meta.dirname, 'autoencoder_reference.py');

export function writeState(dir: string, state: Record<string, FloatTensor>): string {
  mkdirSync(dir, { recursive: true });
  const shapes: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(state)) {
    writeFileSync(join(dir, `${name}.f32`), t.data);
    shapes[name] = t.shape;
  }
  writeFileSync(join(dir, 'state.json'), JSON.stringify(shapes));
  return dir;
}

export function readF32(path: string, shape: number[]): FloatTensor {
  const buf = readFileSync(path);
  return { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), shape };
}

export function readState(dir: string): Record<string, FloatTensor> {
  const shapes = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, number[]>;
  return Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, readF32(join(dir, `${name}.f32`), shape)]));
}

export function aeReference<T>(python: string, req: Record<string, unknown>): T {
  const r = spawnSync(python, [SCRIPT], { input: JSON.stringify(req), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`autoencoder_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * How far two model states are apart over the names of `a` (which `b` must all have): the largest element
 * difference (and where), and how many elements of how many differ by more than 1e-6 (see expectAdamStepClose).
 */
export function stateDistance(
  a: Record<string, FloatTensor>,
  b: Record<string, FloatTensor>,
): { max: number; worst: string; over: number; total: number } {
  let max = 0;
  let worst = '';
  let over = 0;
  let total = 0;
  for (const [name, t] of Object.entries(a)) {
    const u = b[name];
    if (!u || u.data.length !== t.data.length) throw new Error(`state '${name}' is missing or shaped differently`);
    total += t.data.length;
    for (let i = 0; i < t.data.length; i++) {
      const d = Math.abs(t.data[i]! - u.data[i]!);
      if (d > 1e-6) over++;
      if (!(d <= max)) {
        max = d;
        worst = name;
      }
    }
  }
  return { max, worst, over, total };
}
