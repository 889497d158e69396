// SVHN (Street View House Numbers, cropped digits) for the autoencoder
// benchmark: {train,test,extra}_32x32.mat (MATLAB level 5), X uint8
// 32x32x3xN, y Nx1 with 10 meaning digit 0. From the user's folder, or
// downloaded with the published MD5s. The images stay bytes on disk: an
// uncompressed X is read in place; a compressed one (the real files are) is
// inflated once into a cache file beside the data.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { saveAtomic, writeJsonAtomic } from '../training/atomic.js';
import { fetchInto, type FetchOptions } from './fetch-dataset.js';
import { ImageRecords, type ImageSet } from './image-records.js';
import { readMatFile, readMatNumbers, streamMatData } from './mat.js';

export const SVHN_BASE_URL = 'http://ufldl.stanford.edu/housenumbers';
/** Files, MD5s (as torchvision publishes them) and image counts. */
export const SVHN_SPLITS = {
  train: { file: 'train_32x32.mat', md5: 'e26dedcc434d2e4c54c9b2d4a06d8373', count: 73_257, size: '182 MB' },
  test: { file: 'test_32x32.mat', md5: 'eb5a983be6a315427106f1b8d4d6a7a1', count: 26_032, size: '64 MB' },
  extra: { file: 'extra_32x32.mat', md5: 'a93ce644f1a588dc4d68dda5feec44a7', count: 531_131, size: '1.3 GB' },
} as const;
export type SvhnSplit = keyof typeof SVHN_SPLITS;

export interface SvhnOptions extends FetchOptions {
  download?: boolean;
  /** Base URL of the .mat files (tests point it at a local server). */
  baseUrl?: string;
  /** Checksums per file name (default: the published MD5s). */
  md5?: Partial<Record<string, string>>;
}

/** Makes sure `dir` holds the splits' .mat files, downloading the missing ones when asked. */
export async function ensureSvhn(dir: string, splits: SvhnSplit[], o: SvhnOptions = {}): Promise<void> {
  for (const split of splits) {
    const { file, md5, size } = SVHN_SPLITS[split];
    const path = join(dir, file);
    if (existsSync(path)) continue;
    if (!o.download) {
      throw new Error(
        `SVHN's ${file} (${size}) is not in ${dir}; put the .mat files there, or pass --download (download: true) to fetch them from ${SVHN_BASE_URL}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    await fetchInto(`${o.baseUrl ?? SVHN_BASE_URL}/${file}`, dir, o, { dest: path, checksum: { md5: o.md5?.[file] ?? md5 } });
  }
}

/**
 * One split as image records and labels 0..9. `cacheDir` (default
 * <dir>/.dpl-torch-prepared) holds the inflated pixels of a compressed file,
 * remade when the .mat changes.
 */
export async function openSvhn(
  dir: string,
  split: SvhnSplit,
  o: { cacheDir?: string; log?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<ImageSet> {
  const path = join(dir, SVHN_SPLITS[split].file);
  const mat = await readMatFile(path);
  const x = mat.variables.find((v) => v.name === 'X');
  const y = mat.variables.find((v) => v.name === 'y');
  if (!x || !y)
    throw new Error(
      `${path} lacks ${!x ? "'X'" : "'y'"}: it is not an SVHN file (variables: ${mat.variables.map((v) => v.name).join(', ')})`,
    );
  const [h, w, c, n] = x.dims;
  if (x.className !== 'uint8' || x.storage !== 'uint8' || x.dims.length !== 4 || h !== 32 || w !== 32 || c !== 3) {
    throw new Error(`${path}: X must be uint8 32x32x3xN, got ${x.className} ${x.dims.join('x')}`);
  }
  const values = await readMatNumbers(mat, 'y');
  if (values.length !== n) throw new Error(`${path}: y has ${values.length} labels for ${n} images`);
  const labels = new Uint8Array(n!);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > 10) throw new Error(`${path}: label ${v} at ${i} is not 1..10`);
    labels[i] = v % 10; // 10 is the digit 0
  });
  if (!x.compressed) return { images: await ImageRecords.open(path, { offset: x.dataOffset!, count: n!, side: 32 }), labels };

  const cacheDir = o.cacheDir ?? join(dir, '.dpl-torch-prepared');
  const cache = join(cacheDir, `${basename(path, '.mat')}.X.u8`);
  const meta = `${cache}.json`;
  const source = { size: statSync(path).size, mtimeMs: statSync(path).mtimeMs, count: n };
  if (!existsSync(cache) || !existsSync(meta) || JSON.stringify(JSON.parse(readFileSync(meta, 'utf8')).source) !== JSON.stringify(source)) {
    mkdirSync(cacheDir, { recursive: true });
    o.log?.(`SVHN: inflating ${basename(path)}'s ${n} images into ${cache} (once)`);
    // Runs started together may prepare the same file; each writes its own temporary file first.
    await saveAtomic(cache, async (tmp) => {
      const out = await open(tmp, 'w');
      let done = 0;
      let shown = 0;
      try {
        await streamMatData(mat, 'X', async (chunk) => {
          o.signal?.throwIfAborted();
          await out.write(chunk);
          done += chunk.length;
          if (done - shown > x.dataBytes / 10) {
            shown = done;
            o.log?.(`SVHN: ${basename(path)} ${((100 * done) / x.dataBytes).toFixed(0)}%`);
          }
        });
      } finally {
        await out.close();
      }
      if (done !== x.dataBytes) throw new Error(`${path}: X held ${done} bytes, its header says ${x.dataBytes}`);
    });
    writeJsonAtomic(meta, { source });
  }
  return { images: await ImageRecords.open(cache, { count: n!, side: 32 }), labels };
}
