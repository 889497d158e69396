// Procedural stand-ins for Massachusetts Roads tiles: textured ground, a few
// buildings, noise, and a drawn road network (centrelines about 7 px wide on
// the mask, a road colour a little apart from the ground on the image), written
// as real TIFF files in the real layouts: MRD/{train,val,test}/{input,output}/
// on disk, and the Toronto server tree with its index pages (for download
// tests). Used by tests and the study's quick preset.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ByteImage } from '../tensor.js';
import { encodeTiff } from './image.js';
import { listMrd, MRD_PARTS, MRD_REMOTE, MRD_SPLITS, type MrdSplit, type MrdSplits } from './mrd.js';
import { mixSeed, mulberry32 } from './seeded.js';

export interface SyntheticMrdOptions {
  seed?: number;
  /** Tiles per split (defaults 8, 2, 2). */
  train?: number;
  val?: number;
  test?: number;
  /** Tile side, or [height, width] (default 96). */
  size?: number | [number, number];
}

/** Half the width of a road on the mask: centrelines rasterised about 7 px wide. */
const ROAD_HALF_WIDTH = 3.5;

/** Sets `out[i] = value` for pixels within `radius` of the segment (y0,x0)-(y1,x1). */
function drawSegment(out: Uint8Array, h: number, w: number, [y0, x0]: number[], [y1, x1]: number[], radius: number, value: number): void {
  const [dy, dx] = [y1! - y0!, x1! - x0!];
  const len2 = dy * dy + dx * dx || 1;
  const ya = Math.max(0, Math.floor(Math.min(y0!, y1!) - radius));
  const yb = Math.min(h - 1, Math.ceil(Math.max(y0!, y1!) + radius));
  const xa = Math.max(0, Math.floor(Math.min(x0!, x1!) - radius));
  const xb = Math.min(w - 1, Math.ceil(Math.max(x0!, x1!) + radius));
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const t = Math.max(0, Math.min(1, ((y - y0!) * dy + (x - x0!) * dx) / len2));
      const [ey, ex] = [y - (y0! + t * dy), x - (x0! + t * dx)];
      if (ey * ey + ex * ex <= radius * radius) out[y * w + x] = value;
    }
  }
}

/** A road as a polyline: from a point on one edge, a wandering walk until it leaves the tile. */
function roadPolyline(h: number, w: number, r: () => number): number[][] {
  const edge = Math.floor(r() * 4);
  let [y, x] = edge === 0 ? [0, r() * w] : edge === 1 ? [h - 1, r() * w] : edge === 2 ? [r() * h, 0] : [r() * h, w - 1];
  // Head roughly into the tile.
  let angle = [Math.PI / 2, -Math.PI / 2, 0, Math.PI][edge]! + (r() - 0.5) * 0.8;
  const points = [[y, x]];
  const step = Math.max(8, Math.min(h, w) / 6);
  for (let i = 0; i < 64; i++) {
    angle += (r() - 0.5) * 0.9;
    y += Math.sin(angle) * step;
    x += Math.cos(angle) * step;
    points.push([y, x]);
    if (y < -step || y > h + step || x < -step || x > w + step) break;
  }
  return points;
}

/** One synthetic aerial tile and its road mask (0/255). */
export function syntheticAerialTile(h: number, w: number, seed: number): { image: ByteImage; mask: Uint8Array } {
  const r = mulberry32(seed);
  // Ground: grass to soil by a smooth field of a few random waves, with grain.
  const waves = Array.from({ length: 4 }, () => ({ fy: (r() - 0.5) * 0.15, fx: (r() - 0.5) * 0.15, phase: r() * 6.28 }));
  const grass = [70 + r() * 20, 100 + r() * 20, 55 + r() * 15];
  const soil = [125 + r() * 20, 110 + r() * 15, 85 + r() * 15];
  const img = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const f = 0.5 + waves.reduce((s, v) => s + Math.sin(v.fy * y + v.fx * x + v.phase), 0) / 8;
      for (let k = 0; k < 3; k++) img[(y * w + x) * 3 + k] = grass[k]! * (1 - f) + soil[k]! * f;
    }
  }
  // Buildings: grey-to-brown roofs, axis-aligned.
  const buildings = 3 + Math.floor(r() * 6);
  for (let b = 0; b < buildings; b++) {
    const [bh, bw] = [5 + r() * 14, 5 + r() * 14];
    const [by, bx] = [r() * (h - bh), r() * (w - bw)];
    const roof = 110 + r() * 90;
    const tint = [roof, roof * (0.9 + r() * 0.1), roof * (0.8 + r() * 0.15)];
    for (let y = Math.floor(by); y < by + bh; y++) {
      for (let x = Math.floor(bx); x < bx + bw; x++) for (let k = 0; k < 3; k++) img[(y * w + x) * 3 + k] = tint[k]!;
    }
  }
  // Roads: 2-4 polylines, drawn on the mask and (slightly wider, as pavement is) on the image.
  const mask = new Uint8Array(h * w);
  const paved = new Uint8Array(h * w);
  const roads = 2 + Math.floor(r() * 3);
  for (let k = 0; k < roads; k++) {
    const line = roadPolyline(h, w, r);
    for (let i = 1; i < line.length; i++) {
      drawSegment(mask, h, w, line[i - 1]!, line[i]!, ROAD_HALF_WIDTH, 255);
      drawSegment(paved, h, w, line[i - 1]!, line[i]!, ROAD_HALF_WIDTH + 0.5, 1);
    }
  }
  const asphalt = 95 + r() * 25;
  for (let p = 0; p < h * w; p++) {
    if (!paved[p]) continue;
    for (let k = 0; k < 3; k++) img[p * 3 + k] = asphalt + (k === 2 ? 4 : 0);
  }
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(img[i]! + (r() - 0.5) * 30)));
  return { image: { data, shape: [h, w, 3] }, mask };
}

/**
 * Writes synthetic tiles in the real MRD layout under `dir`: `<stem>.tiff` RGB
 * images in input/, `<stem>.tif` 8-bit 0/255 masks in output/, uncompressed.
 */
export async function makeSyntheticMrd(dir: string, o: SyntheticMrdOptions = {}): Promise<MrdSplits> {
  const seed = o.seed ?? 0;
  const [h, w] = typeof o.size === 'number' ? [o.size, o.size] : (o.size ?? [96, 96]);
  const counts: Record<MrdSplit, number> = { train: o.train ?? 8, val: o.val ?? 2, test: o.test ?? 2 };
  let serial = 0;
  for (const split of MRD_SPLITS) {
    for (const part of MRD_PARTS) mkdirSync(join(dir, split, part), { recursive: true });
    for (let i = 0; i < counts[split]; i++) {
      const stem = `${String(10000000 + seed * 7919 + serial * 131).padStart(8, '0')}_15`;
      const tile = syntheticAerialTile(h, w, mixSeed(seed, serial++));
      await writeFile(join(dir, split, 'input', `${stem}.tiff`), await encodeTiff(tile.image));
      await writeFile(join(dir, split, 'output', `${stem}.tif`), await encodeTiff({ data: tile.mask, height: h, width: w, channels: 1 }));
    }
  }
  return listMrd(dir);
}

/**
 * Lays out the tiles of an MRD folder as the Toronto server holds them, under
 * `www`: {train,valid,test}/{sat,map}/<file> and an index.html per folder that
 * links every file (by absolute URL under `baseUrl` when given, else relative).
 */
export function makeMrdServerTree(mrdDir: string, www: string, o: { baseUrl?: string } = {}): void {
  const splits = listMrd(mrdDir);
  for (const split of MRD_SPLITS) {
    for (const part of MRD_PARTS) {
      const rel = `${MRD_REMOTE.split[split]}/${MRD_REMOTE.part[part]}`;
      mkdirSync(join(www, rel), { recursive: true });
      const files = splits[split].map((p) => (part === 'input' ? p.image : p.mask));
      for (const f of files) copyFileSync(f, join(www, rel, basename(f)));
      const href = (name: string) => (o.baseUrl ? `${o.baseUrl.replace(/\/+$/, '')}/${rel}/${name}` : name);
      const links = files.map((f) => `<a href="${href(basename(f))}">${basename(f)}</a><br>`);
      writeFileSync(join(www, rel, 'index.html'), `<html><body>\n${links.join('\n')}\n</body></html>\n`);
    }
  }
}
