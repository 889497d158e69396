// Procedural stand-ins for COCO, Set5, Set14 and BSD100 in their real folder
// layouts, so the same loaders read them: images with structure (gradients,
// shapes, edges, stripes, checkerboards, soft noise texture), not white noise.
// Used by tests and the study's quick preset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteImage } from '../tensor.js';
import { encodeJpeg, encodePng } from './image.js';
import { mixSeed, mulberry32 } from './seeded.js';

export interface SyntheticSrOptions {
  seed?: number;
  /** COCO train2014 images (default 24). */
  train?: number;
  /** COCO val2014 images (default 6). */
  val?: number;
  /** Images per test set: Set5 and Set14 take at most 5 and 14, BSD100 any number (default 3; 100 gives the full sets). */
  test?: number;
  /** Write BSDS300/iids_test.txt (the real tarball need not hold it; default true). */
  bsdsIds?: boolean;
  /** Longest side range of the images (default [100, 160]). */
  size?: [number, number];
}

export interface SyntheticSrLayout {
  /** Folder holding train2014/ and val2014/. */
  coco: string;
  /** Folder holding Set5/, Set14/ and BSDS300/. */
  tests: string;
}

/** One procedural RGB image of h x w. */
export function syntheticImage(h: number, w: number, seed: number): ByteImage {
  const r = mulberry32(seed);
  const col = () => [r() * 255, r() * 255, r() * 255];
  const img = new Float32Array(h * w * 3);
  const [c0, c1] = [col(), col()];
  const angle = r() * Math.PI;
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = Math.min(1, Math.max(0, (x * ca + y * sa) / Math.hypot(w, h) + 0.5));
      for (let k = 0; k < 3; k++) img[(y * w + x) * 3 + k] = c0[k]! * (1 - t) + c1[k]! * t;
    }
  }
  const shapes = 4 + Math.floor(r() * 5);
  for (let s = 0; s < shapes; s++) {
    const kind = Math.floor(r() * 4);
    const c = col();
    const [cy, cx] = [r() * h, r() * w];
    const rad = (0.1 + r() * 0.3) * Math.min(h, w);
    const period = 3 + r() * 8;
    const theta = r() * Math.PI;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [dy, dx] = [y - cy, x - cx];
        let inside = false;
        let shade = 1;
        if (kind === 0)
          inside = dx * dx + dy * dy < rad * rad; // disc
        else if (kind === 1)
          inside = Math.abs(dx) < rad && Math.abs(dy) < rad * 0.6; // box
        else if (kind === 2) {
          // striped disc: oriented sinusoidal texture
          inside = dx * dx + dy * dy < rad * rad * 1.5;
          shade = 0.6 + 0.4 * Math.sin((dx * Math.cos(theta) + dy * Math.sin(theta)) * ((2 * Math.PI) / period));
        } else {
          // checkerboard box
          inside = Math.abs(dx) < rad && Math.abs(dy) < rad;
          shade = (Math.floor(x / period) + Math.floor(y / period)) % 2 ? 1 : 0.35;
        }
        if (!inside) continue;
        for (let k = 0; k < 3; k++) img[(y * w + x) * 3 + k] = c[k]! * shade;
      }
    }
  }
  // A thin line or two for sharp edges, and mild smooth grain.
  for (let l = 0; l < 2; l++) {
    const c = col();
    const [y0, x0, y1, x1] = [r() * h, r() * w, r() * h, r() * w];
    const n = Math.ceil(Math.hypot(y1 - y0, x1 - x0));
    for (let i = 0; i <= n; i++) {
      const y = Math.round(y0 + ((y1 - y0) * i) / n);
      const x = Math.round(x0 + ((x1 - x0) * i) / n);
      if (y >= 0 && y < h && x >= 0 && x < w) for (let k = 0; k < 3; k++) img[(y * w + x) * 3 + k] = c[k]!;
    }
  }
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) {
    const grain = 6 * Math.sin(i * 0.013 + seed) * Math.cos(i * 0.0071);
    data[i] = Math.max(0, Math.min(255, Math.round(img[i]! + grain)));
  }
  return { data, shape: [h, w, 3] };
}

/** `img` cropped to a multiple of `s` (as SelfExSR's HR files are) and its every s-th pixel (a stand-in LR file). */
function modCropAndSubsample(img: ByteImage, s: number): [ByteImage, ByteImage] {
  const [h, w] = [img.shape[0] - (img.shape[0] % s), img.shape[1] - (img.shape[1] % s)];
  const hr = new Uint8Array(h * w * 3);
  const lr = new Uint8Array((h / s) * (w / s) * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        const v = img.data[(y * img.shape[1] + x) * 3 + k]!;
        hr[(y * w + x) * 3 + k] = v;
        if (y % s === 0 && x % s === 0) lr[((y / s) * (w / s) + x / s) * 3 + k] = v;
      }
    }
  }
  return [
    { data: hr, shape: [h, w, 3] },
    { data: lr, shape: [h / s, w / s, 3] },
  ];
}

/**
 * One test set in SelfExSR's layout under `folder`: image_SRF_{2,3,4}/img_00N_SRF_s_{HR,LR}.png,
 * as a full checkout holds it (only image_SRF_2/*_HR.png is a test image; the rest must be ignored).
 */
export async function writeSelfExSrSet(folder: string, images: ByteImage[]): Promise<void> {
  for (const s of [2, 3, 4]) {
    const dir = join(folder, `image_SRF_${s}`);
    mkdirSync(dir, { recursive: true });
    for (const [i, img] of images.entries()) {
      const stem = `img_${String(i + 1).padStart(3, '0')}_SRF_${s}`;
      const [hr, lr] = modCropAndSubsample(img, s);
      writeFileSync(join(dir, `${stem}_HR.png`), await encodePng(hr));
      writeFileSync(join(dir, `${stem}_LR.png`), await encodePng(lr));
    }
  }
}

/**
 * Writes the synthetic datasets under `root`: coco/{train2014,val2014}/COCO_*.jpg,
 * tests/Set5/image_SRF_{2,3,4}/img_00N_SRF_s_{HR,LR}.png (SelfExSR's layout), tests/Set14/...,
 * tests/BSDS300/images/{test,train}/<id>.jpg with tests/BSDS300/iids_test.txt.
 */
export async function makeSyntheticSrData(root: string, options: SyntheticSrOptions = {}): Promise<SyntheticSrLayout> {
  const seed = options.seed ?? 0;
  const [lo, hi] = options.size ?? [100, 160];
  const test = options.test ?? 3;
  let serial = 0;
  const image = () => {
    const r = mulberry32(mixSeed(seed, serial++));
    const long = Math.round(lo + r() * (hi - lo));
    const short = Math.round(long * (0.66 + r() * 0.2));
    return r() < 0.5 ? syntheticImage(short, long, mixSeed(seed, serial, 7)) : syntheticImage(long, short, mixSeed(seed, serial, 7));
  };
  const coco = join(root, 'coco');
  const tests = join(root, 'tests');
  for (const [split, n] of [
    ['train2014', options.train ?? 24],
    ['val2014', options.val ?? 6],
  ] as const) {
    mkdirSync(join(coco, split), { recursive: true });
    for (let i = 0; i < n; i++) {
      const id = String(1000 + i * 37).padStart(12, '0');
      writeFileSync(join(coco, split, `COCO_${split}_${id}.jpg`), await encodeJpeg(image()));
    }
  }
  for (const [set, max] of [
    ['Set5', 5],
    ['Set14', 14],
  ] as const) {
    await writeSelfExSrSet(join(tests, set), Array.from({ length: Math.min(test, max) }, image));
  }
  const bsds = join(tests, 'BSDS300');
  mkdirSync(join(bsds, 'images', 'test'), { recursive: true });
  mkdirSync(join(bsds, 'images', 'train'), { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < test; i++) {
    const id = String(3096 + i * 1111);
    ids.push(id);
    writeFileSync(join(bsds, 'images', 'test', `${id}.jpg`), await encodeJpeg(image()));
  }
  // A train image that must not be picked up as a test image.
  writeFileSync(join(bsds, 'images', 'train', '2092.jpg'), await encodeJpeg(image()));
  if (options.bsdsIds ?? true) writeFileSync(join(bsds, 'iids_test.txt'), ids.join('\n') + '\n');
  return { coco, tests };
}
