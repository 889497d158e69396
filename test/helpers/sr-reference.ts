// Calls test/helpers/sr_reference.py (Debian's /usr/bin/python3 with skimage, PIL, scipy).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteImage } from '../../src/tensor.js';

const SCRIPT = join(import.meta.dirname, 'sr_reference.py');
export const SR_PYTHON = process.env.DPL_TORCH_PYTHON ?? '/usr/bin/python3';

function call(body: Record<string, unknown>): unknown {
  const r = spawnSync(SR_PYTHON, [SCRIPT], { input: JSON.stringify(body), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sr_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function withDir<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-srref-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function skimageMetrics(pairs: { a: ByteImage; b: ByteImage; shave: number }[]): { psnr: number; ssim: number }[] {
  return withDir((dir) => {
    const body = pairs.map((p, i) => {
      writeFileSync(join(dir, `a${i}`), p.a.data);
      writeFileSync(join(dir, `b${i}`), p.b.data);
      return { a: join(dir, `a${i}`), b: join(dir, `b${i}`), shape: p.a.shape, shave: p.shave };
    });
    return call({ op: 'metrics', pairs: body }) as { psnr: number; ssim: number }[];
  });
}

export function pilResize(img: ByteImage, size: [number, number], mode: 'bilinear' | 'bicubic'): ByteImage {
  return withDir((dir) => {
    writeFileSync(join(dir, 'in'), img.data);
    call({ op: 'resize', input: join(dir, 'in'), shape: img.shape, size, mode, out: join(dir, 'out') });
    return { data: new Uint8Array(readFileSync(join(dir, 'out'))), shape: [size[0], size[1], 3] };
  });
}

/** scipy gaussian_filter(sigma 1 over H and W, mode 'mirror', truncate 4) of img/255, as HWC float32. */
export function scipyBlur(img: ByteImage): Float32Array {
  return withDir((dir) => {
    writeFileSync(join(dir, 'in'), img.data);
    call({ op: 'blur', input: join(dir, 'in'), shape: img.shape, out: join(dir, 'out') });
    const buf = readFileSync(join(dir, 'out'));
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
  });
}
