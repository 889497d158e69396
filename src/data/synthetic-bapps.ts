// A small BAPPS tree in the real layout, made from generated images with known
// distortions, for the quick preset and tests. In half of the 2AFC triplets p0
// and p1 carry the same kind of distortion (blur, noise or colour shift) at
// clearly different strengths, which any sensible metric orders right; in the
// other half they carry different kinds, and the simulated people judge by how
// much they mind each kind (BADNESS), so metrics, and loss networks, differ
// there. JND pairs are a reference and a distorted copy, judged "same" more often
// when it is mild.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import type { ByteImage } from '../tensor.js';
import { BAPPS_PARTS, JND_VAL, TWOAFC_TRAIN, TWOAFC_VAL } from './bapps.js';
import { sha256Of } from './download.js';
import { encodePng } from './image.js';
import { encodeNpy } from './npy.js';
import { mulberry32 } from './seeded.js';

export interface SyntheticBappsOptions {
  seed?: number;
  /** Triplets (pairs for JND) per subset. */
  perSubset?: number;
  /** Patch side in pixels. */
  size?: number;
  /** Also pack the three tarballs (as the authors publish them) into this folder. */
  packInto?: string;
}

export interface SyntheticBapps {
  root: string;
  /** Tarball name -> path and sha256, when packed. */
  tarballs?: Record<string, { path: string; sha256: string }>;
}

type Img = Float32Array; // HWC in [0,1]

/** A texture (two sinusoids over a colour gradient) with a few rectangles and discs. */
function makeRef(size: number, r: () => number): Img {
  const img = new Float32Array(size * size * 3);
  const c0 = [r(), r(), r()];
  const c1 = [r(), r(), r()];
  const f = [1 + r() * 6, 1 + r() * 6].map((x) => (x * 2 * Math.PI) / size);
  const ph = r() * 6.28;
  const amp = 0.1 + r() * 0.2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * size);
      const wave = amp * Math.sin(f[0]! * x + ph) * Math.cos(f[1]! * y);
      for (let k = 0; k < 3; k++) img[(y * size + x) * 3 + k] = c0[k]! * (1 - t) + c1[k]! * t + wave;
    }
  }
  const shapes = 2 + Math.floor(r() * 3);
  for (let s = 0; s < shapes; s++) {
    const col = [r(), r(), r()];
    const cx = r() * size;
    const cy = r() * size;
    const rad = size * (0.08 + r() * 0.2);
    const disc = r() < 0.5;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = disc ? (x - cx) ** 2 + (y - cy) ** 2 < rad * rad : Math.abs(x - cx) < rad && Math.abs(y - cy) < rad * 0.7;
        if (inside) for (let k = 0; k < 3; k++) img[(y * size + x) * 3 + k] = col[k]!;
      }
    }
  }
  return img;
}

const KINDS = ['blur', 'noise', 'colour'] as const;
type Kind = (typeof KINDS)[number];

// How much the simulated people mind each distortion per unit strength. Noise
// hurts most and a global colour shift least, while pixel distances rank them
// otherwise: mixed-kind triplets are where loss networks differ from each other.
const BADNESS: Record<Kind, number> = { noise: 1, blur: 0.7, colour: 0.35 };

/** Distortions of p0 and p1: half the triplets one kind at clearly different strengths, half two kinds. */
function distortionPair(r: () => number): [Kind, number, Kind, number] {
  const pick = () => KINDS[Math.floor(r() * KINDS.length)]!;
  if (r() < 0.5) {
    const kind = pick();
    const mild = 0.1 + r() * 0.3;
    const strong = mild + 0.3 + r() * 0.3;
    return r() < 0.5 ? [kind, strong, kind, mild] : [kind, mild, kind, strong];
  }
  return [pick(), 0.15 + r() * 0.7, pick(), 0.15 + r() * 0.7];
}

/** `img` distorted by `kind` at strength s in (0, 1]. */
function distort(img: Img, size: number, kind: Kind, s: number, r: () => number): Img {
  const out = new Float32Array(img);
  if (kind === 'noise') {
    for (let i = 0; i < out.length; i++) {
      const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      out[i] = out[i]! + g * 0.2 * s;
    }
  } else if (kind === 'colour') {
    const shift = [0, 1, 2].map(() => (r() < 0.5 ? -1 : 1) * 0.3 * s);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + shift[i % 3]!;
  } else {
    const rad = Math.max(1, Math.round(s * 4));
    for (const [dx, dy] of [
      [1, 0],
      [0, 1],
    ] as const) {
      const src = new Float32Array(out);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          for (let k = 0; k < 3; k++) {
            let sum = 0;
            for (let d = -rad; d <= rad; d++) {
              const xx = Math.min(size - 1, Math.max(0, x + d * dx));
              const yy = Math.min(size - 1, Math.max(0, y + d * dy));
              sum += src[(yy * size + xx) * 3 + k]!;
            }
            out[(y * size + x) * 3 + k] = sum / (2 * rad + 1);
          }
        }
      }
    }
  }
  return out;
}

function png(img: Img, size: number): Promise<Buffer> {
  const data = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(img[i]! * 255)));
  return encodePng({ data, shape: [size, size, 3] } satisfies ByteImage);
}

/** Fraction of n simulated people who say yes, each with probability q. */
function votes(n: number, q: number, r: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (r() < q) k++;
  return k / n;
}

async function write(dir: string, sub: string, id: string, ext: string, bytes: Buffer | Promise<Buffer>): Promise<void> {
  mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, sub, `${id}.${ext}`), await bytes);
}

/** Writes the synthetic tree under `root` (2afc/{train,val}/<subset>, jnd/val/<subset>). */
export async function makeSyntheticBapps(root: string, options: SyntheticBappsOptions = {}): Promise<SyntheticBapps> {
  const seed = options.seed ?? 0;
  const n = options.perSubset ?? 24;
  const size = options.size ?? 64;
  const r = mulberry32(seed * 7919 + 17);
  const twoAfc = async (split: 'train' | 'val', subsets: readonly string[], people: number) => {
    for (const subset of subsets) {
      const dir = join(root, '2afc', split, subset);
      for (let i = 0; i < n; i++) {
        const id = String(i).padStart(6, '0');
        const ref = makeRef(size, r);
        const [k0, s0, k1, s1] = distortionPair(r);
        await write(dir, 'ref', id, 'png', png(ref, size));
        await write(dir, 'p0', id, 'png', png(distort(ref, size, k0, s0, r), size));
        await write(dir, 'p1', id, 'png', png(distort(ref, size, k1, s1, r), size));
        // People pick the patch they mind less: P(p1) rises with how much worse p0 looks.
        const q = 1 / (1 + Math.exp(-8 * (BADNESS[k0] * s0 - BADNESS[k1] * s1)));
        await write(dir, 'judge', id, 'npy', encodeNpy([votes(people, Math.min(0.9, Math.max(0.1, q)), r)], 'float64'));
      }
    }
  };
  await twoAfc('train', TWOAFC_TRAIN, 2);
  await twoAfc('val', TWOAFC_VAL, 5);
  for (const subset of JND_VAL) {
    const dir = join(root, 'jnd', 'val', subset);
    for (let i = 0; i < n; i++) {
      const id = String(i).padStart(6, '0');
      const ref = makeRef(size, r);
      const s = 0.05 + r() * 0.95;
      await write(dir, 'p0', id, 'png', png(ref, size));
      await write(dir, 'p1', id, 'png', png(distort(ref, size, KINDS[i % KINDS.length]!, s, r), size));
      // float32 here (float64 in 2AFC): the reader must take both.
      await write(dir, 'same', id, 'npy', encodeNpy([votes(3, 1 - s, r)], 'float32'));
    }
  }
  if (!options.packInto) return { root };
  mkdirSync(options.packInto, { recursive: true });
  const tarballs: Record<string, { path: string; sha256: string }> = {};
  for (const part of Object.values(BAPPS_PARTS)) {
    const path = join(options.packInto, part.tarball);
    // Entries relative to the folder the LPIPS script unpacks into: train/..., val/..., jnd/...
    const top = part.folders[0]!.split('/').slice(part.into === '.' ? 0 : 1)[0]!;
    await tar.c({ gzip: true, file: path, cwd: join(root, part.into), portable: true, noMtime: true }, [top]);
    tarballs[part.tarball] = { path, sha256: await sha256Of(path) };
  }
  return { root, tarballs };
}
