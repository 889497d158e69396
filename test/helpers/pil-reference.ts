// Calls test/helpers/pil_reference.py (Debian's /usr/bin/python3 with PIL): the
// study's image loader, to write test images in real formats and decode them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteImage } from '../../src/tensor.js';

const SCRIPT = join(import.meta.dirname, 'pil_reference.py');
export const PIL_PYTHON = process.env.DPL_TORCH_PYTHON ?? '/usr/bin/python3';

function call(body: Record<string, unknown>): unknown {
  const r = spawnSync(PIL_PYTHON, [SCRIPT], { input: JSON.stringify(body), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pil_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export interface PilFile {
  path: string;
  /** HWC samples: uint8, or uint16 for mode 'I;16'. */
  data: Uint8Array | Uint16Array;
  shape: [number, number, number];
  /** PIL mode to save as: 'RGB', 'RGBA', 'L', 'LA', '1', 'I;16', 'P' (from RGB), 'CMYK' (from RGB). */
  mode: string;
  format: 'JPEG' | 'PNG' | 'TIFF';
  options?: Record<string, unknown>;
  exifOrientation?: number;
}

/** Writes each image with PIL's save(path, format, **options). */
export function pilWrite(files: PilFile[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-pil-'));
  try {
    const specs = files.map((f, i) => {
      const raw = join(dir, `raw${i}`);
      writeFileSync(raw, f.data);
      return {
        path: f.path,
        raw,
        shape: f.shape,
        mode: f.mode,
        format: f.format,
        options: f.options ?? {},
        ...(f.exifOrientation ? { exif_orientation: f.exifOrientation } : {}),
      };
    });
    call({ op: 'write', files: specs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each file as the study loads it: Image.open(path).convert('RGB'). */
export function pilDecode(paths: string[]): ByteImage[] {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-pil-'));
  try {
    const shapes = call({ op: 'decode', files: paths.map((path, i) => ({ path, out: join(dir, `out${i}`) })) }) as [
      number,
      number,
      number,
    ][];
    return shapes.map((shape, i) => ({ data: new Uint8Array(readFileSync(join(dir, `out${i}`))), shape }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
