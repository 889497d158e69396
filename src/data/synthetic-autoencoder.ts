// Tiny labelled image sets for the autoencoder benchmark's quick preset and
// tests, written in the real formats (SVHN's .mat, STL-10's .bin), so the
// real readers run. Each image is noise on a random dark background with a
// bright square whose place on a grid is the label: learnable from codes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeMat } from './mat.js';
import { mulberry32 } from './seeded.js';

/** One image of `side` x `side` for `label` (0..9), channels stored column-major (x outer, y inner), as both formats hold them. */
export function labelledImage(side: number, label: number, next: () => number): Uint8Array {
  const out = new Uint8Array(3 * side * side);
  const bg = [0, 1, 2].map(() => 20 + next() * 80);
  const fg = [0, 1, 2].map(() => 160 + next() * 95);
  const cell = Math.floor(side / 4);
  // Ten places on a 4 x 3 grid, with a jitter of a few pixels.
  const [gx, gy] = [label % 4, Math.floor(label / 4)];
  const jitter = () => Math.floor(next() * Math.max(1, cell / 4));
  const x0 = Math.min(side - cell, Math.floor((gx * side) / 4) + jitter());
  const y0 = Math.min(side - cell, Math.floor((gy * side) / 3) + jitter());
  for (let c = 0; c < 3; c++) {
    for (let x = 0; x < side; x++) {
      for (let y = 0; y < side; y++) {
        const inside = x >= x0 && x < x0 + cell && y >= y0 && y < y0 + cell;
        const v = (inside ? fg[c]! : bg[c]!) + (next() - 0.5) * 30;
        out[c * side * side + x * side + y] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

function labelledImages(side: number, count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const next = mulberry32(seed);
  const bytes = 3 * side * side;
  const images = new Uint8Array(count * bytes);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    images.set(labelledImage(side, labels[i]!, next), i * bytes);
  }
  return { images, labels };
}

export interface SyntheticAutoencoderCounts {
  svhn: { train: number; test: number; extra: number };
  stl10: { train: number; test: number; unlabeled: number };
}

export const QUICK_COUNTS: SyntheticAutoencoderCounts = {
  svhn: { train: 120, test: 60, extra: 160 },
  stl10: { train: 120, test: 60, unlabeled: 160 },
};

/** SVHN-style {train,test,extra}_32x32.mat in `dir` (X uint8 32x32x3xN, y double Nx1 with 10 for 0), compressed as the real files. */
export function writeSyntheticSvhn(
  dir: string,
  counts: SyntheticAutoencoderCounts['svhn'],
  seed: number,
  o: { compress?: boolean } = {},
): void {
  mkdirSync(dir, { recursive: true });
  for (const [k, [split, n]] of Object.entries(counts).entries()) {
    const { images, labels } = labelledImages(32, n, seed * 10 + k);
    const y = Float64Array.from(labels, (l) => (l === 0 ? 10 : l));
    writeMat(
      join(dir, `${split}_32x32.mat`),
      [
        { name: 'X', className: 'uint8', dims: [32, 32, 3, n], data: images },
        { name: 'y', className: 'double', dims: [n, 1], data: y },
      ],
      { compress: o.compress ?? true },
    );
  }
}

/** STL-10-style stl10_binary/{train,test}_{X,y}.bin and unlabeled_X.bin in `dir` (labels 1..10). */
export function writeSyntheticStl10(dir: string, counts: SyntheticAutoencoderCounts['stl10'], seed: number): void {
  const folder = join(dir, 'stl10_binary');
  mkdirSync(folder, { recursive: true });
  for (const [k, [split, n]] of Object.entries(counts).entries()) {
    const { images, labels } = labelledImages(96, n, seed * 10 + 5 + k);
    writeFileSync(join(folder, `${split}_X.bin`), images);
    if (split !== 'unlabeled')
      writeFileSync(
        join(folder, `${split}_y.bin`),
        labels.map((l) => l + 1),
      );
  }
}

/** Both datasets under `root`: root/svhn and root/stl10. */
export function makeSyntheticAutoencoderData(
  root: string,
  o: { seed?: number; counts?: SyntheticAutoencoderCounts } = {},
): { svhn: string; stl10: string } {
  const counts = o.counts ?? QUICK_COUNTS;
  const seed = o.seed ?? 0;
  writeSyntheticSvhn(join(root, 'svhn'), counts.svhn, seed);
  writeSyntheticStl10(join(root, 'stl10'), counts.stl10, seed);
  return { svhn: join(root, 'svhn'), stl10: join(root, 'stl10') };
}
