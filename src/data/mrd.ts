// Massachusetts Roads (MRD, spec: delineation.md): finding the tile pairs in a
// folder the user has, downloading the Toronto tree into that layout, and
// reading a pair (RGB tile and its road mask) through sharp.
//
// On disk: MRD/{train,val,test}/{input,output}/, images and masks paired by file
// stem (images `.tiff`, masks `.tif` on the server; either extension is taken).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ByteImage } from '../tensor.js';
import { writeJsonAtomic } from '../training/atomic.js';
import { download, formatBytesProgress } from './download.js';
import { decodeRaster, imageInfo, rasterToGrey, rasterToRgb, type ImageInfo, type Region } from './image.js';

export const MRD_BASE_URL = 'https://www.cs.toronto.edu/~vmnih/data/mass_roads';
export const MRD_SPLITS = ['train', 'val', 'test'] as const;
export type MrdSplit = (typeof MRD_SPLITS)[number];
export const MRD_PARTS = ['input', 'output'] as const;
export type MrdPart = (typeof MRD_PARTS)[number];
/** Folder names on the server: `valid` is our `val`, `sat` our `input`, `map` our `output`. */
export const MRD_REMOTE = {
  split: { train: 'train', val: 'valid', test: 'test' },
  part: { input: 'sat', output: 'map' },
} as const satisfies { split: Record<MrdSplit, string>; part: Record<MrdPart, string> };

export interface MrdPair {
  stem: string;
  /** Path of the RGB tile. */
  image: string;
  /** Path of the road mask. */
  mask: string;
}

export type MrdSplits = Record<MrdSplit, MrdPair[]>;

const TIFF = /\.tiff?$/i;
const LAYOUT = 'MRD/{train,val,test}/{input,output}/ with images and masks paired by file name';
const stemOf = (file: string) => file.replace(TIFF, '');

/** The TIFF files of a folder by stem; a stem present twice (a.tif and a.tiff) is an error. */
function tiffsByStem(folder: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(folder).sort()) {
    if (file.startsWith('.') || !TIFF.test(file)) continue;
    const stem = stemOf(file);
    const seen = out.get(stem);
    if (seen) throw new Error(`${folder} holds both ${basename(seen)} and ${file}: keep one of them`);
    out.set(stem, join(folder, file));
  }
  return out;
}

/** The tile pairs of `dir`, each split sorted by stem; an error names what is missing and the remedy. */
export function listMrd(dir: string): MrdSplits {
  const splits = {} as MrdSplits;
  for (const split of MRD_SPLITS) {
    for (const part of MRD_PARTS) {
      const folder = join(dir, split, part);
      if (!existsSync(folder) || !statSync(folder).isDirectory()) {
        throw new Error(
          `MRD data is missing: there is no folder ${folder}. Expected ${LAYOUT}; pass --download (download: true) to fetch it`,
        );
      }
    }
    const images = tiffsByStem(join(dir, split, 'input'));
    const masks = tiffsByStem(join(dir, split, 'output'));
    for (const [stem, image] of images) {
      if (!masks.has(stem)) {
        throw new Error(
          `the MRD image ${image} has no mask: expected ${join(dir, split, 'output', `${stem}.tif`)} (or .tiff). Add it, delete the image, or download the data again`,
        );
      }
    }
    for (const [stem, mask] of masks) {
      if (!images.has(stem)) {
        throw new Error(
          `the MRD mask ${mask} has no image: expected ${join(dir, split, 'input', `${stem}.tiff`)} (or .tif). Add it, delete the mask, or download the data again`,
        );
      }
    }
    if (!images.size) {
      throw new Error(
        `the MRD ${split} split is empty: ${join(dir, split, 'input')} holds no .tif/.tiff tiles. Expected ${LAYOUT}; pass --download (download: true) to fetch it`,
      );
    }
    splits[split] = [...images.keys()].sort().map((stem) => ({ stem, image: images.get(stem)!, mask: masks.get(stem)! }));
  }
  return splits;
}

export interface MrdDownloadProgress {
  /** The file being fetched (relative to the MRD folder). */
  file: string;
  filesDone: number;
  files: number;
  /** Bytes of all tiles on disk or received so far. */
  received: number;
  /** All tiles' bytes: exact once every size is known, estimated from the mean tile size before. */
  total: number;
  /** Seconds left at this session's rate, when it can be measured. */
  eta?: number;
}

export interface EnsureMrdOptions {
  /** Fetch what is missing from the server (default: use the folder as it is). */
  download?: boolean;
  /** The server's folder holding train/, valid/, test/ (default MRD_BASE_URL). */
  baseUrl?: string;
  /** Tiles fetched at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: MrdDownloadProgress) => void;
  log?: (line: string) => void;
}

const MARKER = '.dpl-torch-download.json';

/**
 * The MRD pairs in `dir`. With `download`, first fetches the server's index
 * pages and every tile they link that is not on disk yet (resumable: a broken
 * transfer keeps its bytes in `<file>.part` for the next try; sizes are checked
 * against Content-Length). A finished download is marked, so later calls make
 * no requests.
 */
export async function ensureMrd(dir: string, o: EnsureMrdOptions = {}): Promise<MrdSplits> {
  if (!o.download) return listMrd(dir);
  if (existsSync(join(dir, MARKER))) {
    try {
      return listMrd(dir);
    } catch {
      // Files went missing since: fetch them again below.
    }
  }
  const base = (o.baseUrl ?? MRD_BASE_URL).replace(/\/+$/, '');
  o.log?.(`MRD: reading the index pages at ${base}`);
  const jobs: { url: string; dest: string; file: string }[] = [];
  for (const split of MRD_SPLITS) {
    for (const part of MRD_PARTS) {
      const page = `${base}/${MRD_REMOTE.split[split]}/${MRD_REMOTE.part[part]}/index.html`;
      for (const url of await indexLinks(page, o.signal)) {
        const name = decodeURIComponent(basename(new URL(url).pathname));
        jobs.push({ url, dest: join(dir, split, part, name), file: `${split}/${part}/${name}` });
      }
    }
  }
  await fetchAll(jobs, o);
  writeJsonAtomic(join(dir, MARKER), { baseUrl: base, files: jobs.length, finished: new Date().toISOString() });
  const splits = listMrd(dir);
  o.log?.(`MRD: ${MRD_SPLITS.map((s) => `${s} ${splits[s].length}`).join(', ')} tile pairs in ${dir}`);
  return splits;
}

/** The .tif/.tiff files an index page links, as absolute URLs, in page order. */
async function indexLinks(page: string, signal?: AbortSignal): Promise<string[]> {
  let text: string;
  try {
    const res = await fetch(page, { signal });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    text = await res.text();
  } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(
      `cannot read the MRD index ${page}: ${cause}. If this machine is offline, download the data elsewhere and pass its folder (${LAYOUT})`,
    );
  }
  const links = new Set<string>();
  for (const m of text.matchAll(/href\s*=\s*["']([^"']+)["']/gi)) {
    const url = new URL(m[1]!, page);
    if (TIFF.test(url.pathname)) links.add(url.href);
  }
  if (!links.size) throw new Error(`the MRD index ${page} links no .tif/.tiff files; check the base URL`);
  return [...links];
}

/** Downloads the jobs whose file is not on disk, `concurrency` at a time, reporting bytes and ETA. */
async function fetchAll(jobs: { url: string; dest: string; file: string }[], o: EnsureMrdOptions): Promise<void> {
  const size = new Map<string, number>(); // known sizes (on disk, or Content-Length)
  const inFlight = new Map<string, number>();
  let doneBytes = 0;
  let filesDone = 0;
  const todo = jobs.filter((j) => {
    if (!existsSync(j.dest)) return true;
    const s = statSync(j.dest).size;
    size.set(j.url, s);
    doneBytes += s;
    filesDone++;
    return false;
  });
  o.log?.(`MRD: ${todo.length} of ${jobs.length} files to download`);
  const start = Date.now();
  const startBytes = doneBytes;
  let lastReport = 0;
  const report = (file: string, force: boolean) => {
    const now = Date.now();
    if (!o.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    const received = doneBytes + [...inFlight.values()].reduce((a, b) => a + b, 0);
    const known = [...size.values()];
    const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
    const total = Math.max(received, known.reduce((a, b) => a + b, 0) + mean * (jobs.length - known.length));
    const rate = (received - startBytes) / ((now - start) / 1000);
    const eta = rate > 0 && now - start > 500 ? (total - received) / rate : undefined;
    o.onProgress({ file, filesDone, files: jobs.length, received, total, eta });
  };
  const inner = new AbortController();
  const stop = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', stop, { once: true });
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < todo.length && failure === undefined) {
      const job = todo[next++]!;
      try {
        await download(job.url, job.dest, {
          signal: inner.signal,
          onProgress: (p) => {
            if (p.total !== undefined) size.set(job.url, p.total);
            inFlight.set(job.url, p.received);
            report(job.file, false);
          },
        });
      } catch (e) {
        failure ??= o.signal?.aborted ? e : new Error(`MRD: cannot fetch ${job.file}: ${(e as Error).message}`);
        inner.abort();
        return;
      } finally {
        inFlight.delete(job.url);
      }
      const s = statSync(job.dest).size;
      size.set(job.url, s);
      doneBytes += s;
      filesDone++;
      report(job.file, true);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, todo.length) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
  if (failure !== undefined) throw failure;
}

/** One line for a log: 'MRD  [=====>   ]  45% 1234.5/2740.0 MB  ETA 12m03s  (523/2342 files)'. */
export function formatMrdProgress(p: MrdDownloadProgress): string {
  const eta = p.eta === undefined ? '' : `  ETA ${Math.floor(p.eta / 60)}m${String(Math.round(p.eta % 60)).padStart(2, '0')}s`;
  return `${formatBytesProgress('MRD', { url: '', received: p.received, total: p.total })}${eta}  (${p.filesDone}/${p.files} files)`;
}

/** A tile and its mask, decoded. */
export interface MrdTile {
  /** The RGB tile, [h, w, 3] uint8. */
  image: ByteImage;
  /** The road mask, h*w, 0 or 1. */
  mask: Uint8Array;
  height: number;
  width: number;
}

interface PairInfo {
  image: ImageInfo;
  mask: ImageInfo;
}

// Headers of the pairs seen, by path and file identity (a replaced file is read again).
const infoCache = new Map<string, Promise<PairInfo>>();

/** Size and layout of a pair from the file headers (cached); a missing mask or a size mismatch is an error naming the files. */
export async function mrdPairInfo(pair: MrdPair): Promise<PairInfo> {
  for (const [what, path] of [
    ['image', pair.image],
    ['mask', pair.mask],
  ] as const) {
    if (!existsSync(path))
      throw new Error(
        `the MRD ${what} ${path} is missing${what === 'mask' ? ` (the mask of ${pair.image})` : ''}; put it back or download the data again`,
      );
  }
  const key = [pair.image, pair.mask].map((p) => `${p}:${statSync(p).size}:${statSync(p).mtimeMs}`).join('|');
  let info = infoCache.get(key);
  if (!info) {
    info = (async () => {
      const [image, mask] = await Promise.all([imageInfo(pair.image), imageInfo(pair.mask)]);
      if (image.height !== mask.height || image.width !== mask.width) {
        throw new Error(
          `the MRD mask ${pair.mask} is ${mask.width}x${mask.height} but its image ${pair.image} is ${image.width}x${image.height}; they must match`,
        );
      }
      return { image, mask };
    })();
    infoCache.set(key, info);
    info.catch(() => infoCache.delete(key));
  }
  return info;
}

/** A mask as 0/1: road where the 8-bit sample is above half its range (> 127). */
export function binariseMask(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) out[i] = grey[i]! > 127 ? 1 : 0;
  return out;
}

/** Decodes a pair (or `region` of it): the tile as RGB, the mask binarised. */
export async function readMrdPair(pair: MrdPair, region?: Region): Promise<MrdTile> {
  const info = await mrdPairInfo(pair);
  const [image, mask] = await Promise.all([
    decodeRaster(pair.image, { info: info.image, region }),
    decodeRaster(pair.mask, { info: info.mask, region }),
  ]);
  const grey = rasterToGrey(mask);
  let max = 0;
  for (let i = 0; i < grey.length; i++) if (grey[i]! > max) max = grey[i]!;
  if (!region && max === 1) {
    throw new Error(
      `the MRD mask ${pair.mask} holds only 0 and 1; masks are read as 8-bit 0/255 (road above 127), as MRD ships them: scale it by 255`,
    );
  }
  return { image: rasterToRgb(image), mask: binariseMask(grey), height: image.height, width: image.width };
}
