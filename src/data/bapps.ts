// BAPPS (Berkeley-Adobe Perceptual Patch Similarity): finding or downloading
// the data, listing 2AFC triplets and JND pairs in sorted order, loading batches.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatTensor } from '../tensor.js';
import { extract } from './archive.js';
import { download, type DownloadProgress } from './download.js';
import { readImages } from './image.js';
import { readNpy } from './npy.js';
import { toSizedBatch } from './resize.js';

export const TWOAFC_TRAIN = ['traditional', 'cnn', 'mix'] as const;
export const TWOAFC_VAL = ['traditional', 'cnn', 'superres', 'deblur', 'color', 'frameinterp'] as const;
export const JND_VAL = ['traditional', 'cnn'] as const;

/** The LPIPS authors' tarballs: where their download script fetches them now, then their older site. */
export const BAPPS_BASE_URLS = [
  'https://perceptual-similarity.s3.us-west-2.amazonaws.com/dataset',
  'https://people.eecs.berkeley.edu/~rich.zhang/projects/2018_perceptual/dataset',
];
export const BAPPS_BASE_URL = BAPPS_BASE_URLS[0]!;

export type BappsPart = 'train' | 'val' | 'jnd';

/** Each part: its tarball, the folder it is unpacked into (as the LPIPS script does), the folders it makes. */
export const BAPPS_PARTS: Record<BappsPart, { tarball: string; into: string; folders: string[]; size: string }> = {
  train: { tarball: 'twoafc_train.tar.gz', into: '2afc', folders: TWOAFC_TRAIN.map((s) => `2afc/train/${s}`), size: '5.3 GB' },
  val: { tarball: 'twoafc_val.tar.gz', into: '2afc', folders: TWOAFC_VAL.map((s) => `2afc/val/${s}`), size: '1.1 GB' },
  jnd: { tarball: 'jnd.tar.gz', into: '.', folders: JND_VAL.map((s) => `jnd/val/${s}`), size: '0.2 GB' },
};

export interface EnsureBappsOptions {
  /** Parts needed (default all three). */
  parts?: BappsPart[];
  /** Download missing parts (else a missing part is an error naming the remedy). */
  download?: boolean;
  /** Where the tarballs are (default: the authors' S3 bucket, then their Berkeley site; tests use 127.0.0.1). */
  baseUrl?: string;
  /** Expected sha256 per tarball name, when known. */
  sha256?: Record<string, string>;
  onProgress?: (tarball: string, p: DownloadProgress) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The parts of `root` whose folders are not all there. */
export function missingBappsParts(root: string, parts: BappsPart[] = ['train', 'val', 'jnd']): BappsPart[] {
  return parts.filter((p) => BAPPS_PARTS[p].folders.some((f) => !isDir(join(root, f))));
}

/**
 * Returns `root` once it holds the BAPPS parts asked for: a folder the user
 * already has is used as it is; missing parts are downloaded (resumable,
 * checked, with progress) and unpacked when `download` is set.
 */
export async function ensureBapps(root: string, options: EnsureBappsOptions = {}): Promise<string> {
  const parts = options.parts ?? ['train', 'val', 'jnd'];
  const missing = missingBappsParts(root, parts);
  if (!missing.length) return root;
  if (!options.download) {
    const what = missing.map(
      (p) => `${BAPPS_PARTS[p].folders.find((f) => !isDir(join(root, f)))} (${BAPPS_PARTS[p].tarball}, ${BAPPS_PARTS[p].size})`,
    );
    throw new Error(
      `BAPPS data is missing in ${root}: ${what.join(', ')}. Pass --download (download: true) to fetch it, or point the bapps directory at a folder holding 2afc/ and jnd/`,
    );
  }
  const bases = (options.baseUrl ? [options.baseUrl] : BAPPS_BASE_URLS).map((u) => u.replace(/\/$/, ''));
  for (const part of missing) {
    const { tarball, into } = BAPPS_PARTS[part];
    const file = join(root, 'downloads', tarball);
    const errors: string[] = [];
    for (const base of bases) {
      options.log?.(`BAPPS: fetching ${tarball} (${BAPPS_PARTS[part].size}) from ${base}`);
      try {
        await download(`${base}/${tarball}`, file, {
          sha256: options.sha256?.[tarball],
          onProgress: (p) => options.onProgress?.(tarball, p),
          signal: options.signal,
        });
        errors.length = 0;
        break;
      } catch (e) {
        if (options.signal?.aborted) throw e;
        errors.push((e as Error).message);
      }
    }
    if (errors.length) {
      throw new Error(
        `BAPPS ${part}: ${errors.join('; ')}. A part-downloaded file resumes on the next try; or get ${tarball} elsewhere and unpack it into ${join(root, into)}`,
      );
    }
    options.log?.(`BAPPS: unpacking ${tarball}`);
    await extract(file, join(root, into));
    if (missingBappsParts(root, [part]).length) {
      throw new Error(`${tarball} did not unpack into the BAPPS layout (expected ${BAPPS_PARTS[part].folders.join(', ')} under ${root})`);
    }
    rmSync(file, { force: true }); // unpacked and checked: the archive is no longer needed
  }
  return root;
}

export interface Triplet {
  subset: string;
  id: string;
  ref: string;
  p0: string;
  p1: string;
  judge: string;
}

export interface JndPair {
  subset: string;
  id: string;
  p0: string;
  p1: string;
  same: string;
}

/** Files of `folders` under `dir` paired by the name before the first dot, in sorted id order. */
function pairUp(dir: string, folders: string[]): { id: string; files: Record<string, string> }[] {
  const maps = folders.map((f) => {
    const path = join(dir, f);
    if (!isDir(path)) throw new Error(`BAPPS folder ${path} is missing; the layout is <subset>/{${folders.join(',')}}/`);
    const m = new Map<string, string>();
    for (const name of readdirSync(path)) if (!name.startsWith('.')) m.set(name.split('.')[0]!, join(path, name));
    return m;
  });
  const ids = [...maps[0]!.keys()].sort();
  for (const [k, m] of maps.entries()) {
    if (m.size !== ids.length || ids.some((id) => !m.has(id))) {
      const lost = ids.find((id) => !m.has(id)) ?? [...m.keys()].find((id) => !maps[0]!.has(id));
      throw new Error(`BAPPS folders in ${dir} do not pair up: '${lost}' is in one of ${folders[0]}/, ${folders[k]}/ but not the other`);
    }
  }
  if (!ids.length) throw new Error(`BAPPS folder ${join(dir, folders[0]!)} is empty`);
  return ids.map((id) => ({ id, files: Object.fromEntries(folders.map((f, i) => [f, maps[i]!.get(id)!])) }));
}

/** 2AFC triplets of `split` per subset, each in sorted file order. */
export function listTwoAfc(
  root: string,
  split: 'train' | 'val',
  subsets: readonly string[] = split === 'train' ? TWOAFC_TRAIN : TWOAFC_VAL,
): Map<string, Triplet[]> {
  return new Map(
    subsets.map((subset) => [
      subset,
      pairUp(join(root, '2afc', split, subset), ['ref', 'p0', 'p1', 'judge']).map(({ id, files }) => ({
        subset,
        id,
        ref: files.ref!,
        p0: files.p0!,
        p1: files.p1!,
        judge: files.judge!,
      })),
    ]),
  );
}

/** JND pairs per subset, each in sorted file order. */
export function listJnd(root: string, subsets: readonly string[] = JND_VAL): Map<string, JndPair[]> {
  return new Map(
    subsets.map((subset) => [
      subset,
      pairUp(join(root, 'jnd', 'val', subset), ['p0', 'p1', 'same']).map(({ id, files }) => ({
        subset,
        id,
        p0: files.p0!,
        p1: files.p1!,
        same: files.same!,
      })),
    ]),
  );
}

/** The one value of a judge/same .npy file, checked to lie in [0, 1]. */
export function readFraction(path: string): number {
  const values = readNpy(path);
  const v = values[0];
  if (values.length !== 1 || v === undefined || !(v >= 0 && v <= 1)) {
    throw new Error(`${path} must hold one fraction in [0, 1], got [${values.slice(0, 4).join(', ')}]`);
  }
  return v;
}

export interface TripletBatch {
  ref: FloatTensor;
  p0: FloatTensor;
  p1: FloatTensor;
  /** Fraction of people who judged p1 closer to ref (float32). */
  judge: Float32Array;
}

/** Decodes triplets into [0,1] batches at size x size (bilinear when not that size). */
export async function loadTriplets(items: Triplet[], size: number): Promise<TripletBatch> {
  return {
    ref: await toSizedBatch(await readImages(items.map((t) => t.ref)), size),
    p0: await toSizedBatch(await readImages(items.map((t) => t.p0)), size),
    p1: await toSizedBatch(await readImages(items.map((t) => t.p1)), size),
    judge: Float32Array.from(items.map((t) => readFraction(t.judge))),
  };
}

export interface JndBatch {
  p0: FloatTensor;
  p1: FloatTensor;
  same: Float32Array;
}

export async function loadJndPairs(items: JndPair[], size: number): Promise<JndBatch> {
  return {
    p0: await toSizedBatch(await readImages(items.map((t) => t.p0)), size),
    p1: await toSizedBatch(await readImages(items.map((t) => t.p1)), size),
    same: Float32Array.from(items.map((t) => readFraction(t.same))),
  };
}
