// The super-resolution test sets: Set5 and Set14 (HR PNGs as the SelfExSR
// repository holds them) and BSD100 (the 100 test images of BSDS300).
//
// SelfExSR keeps each set three times, image_SRF_2, image_SRF_3 and
// image_SRF_4 (the same images cropped to a multiple of each factor), each with
// HR and LR files (and other methods' outputs in some checkouts). Only one
// scale is read, the one the study uses: image_SRF_2/*_HR.png.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchInto, type FetchOptions } from './fetch-dataset.js';

export const SELFEXSR_BASE_URL = 'https://raw.githubusercontent.com/jbhuang0604/SelfExSR/master';
export const BSDS300_URL = 'https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/bsds/BSDS300-images.tgz';
export const SR_TEST_SETS = ['set5', 'set14', 'bsd100'] as const;
export type SrTestSet = (typeof SR_TEST_SETS)[number];

/** Each set's folder name and its number of images. */
export const SR_TEST_SET_SIZES: Record<SrTestSet, [string, number]> = { set5: ['Set5', 5], set14: ['Set14', 14], bsd100: ['BSD100', 100] };

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const IMAGE = /\.(png|jpe?g)$/i;

/** Sorted image files directly in `dir` matching `pattern` (none if `dir` is missing). */
function images(dir: string, pattern = IMAGE): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((n) => pattern.test(n) && !isDir(join(dir, n)))
    .sort()
    .map((n) => join(dir, n));
}

/** A SelfExSR-style set folder: image_SRF_2/*_HR.png, or (a user's own folder) the images directly in it. */
function selfExSrImages(folder: string): { paths: string[]; where: string } {
  const srf2 = join(folder, 'image_SRF_2');
  if (isDir(srf2)) return { paths: images(srf2, /_HR\.png$/i), where: `${srf2}/*_HR.png` };
  return { paths: images(folder), where: `${folder}/*.{png,jpg}` };
}

/** BSD100: BSDS300's test ids (iids_test.txt) or its images/test/ folder; else a SelfExSR-style BSD100/ folder. */
function bsd100Images(dir: string): { paths: string[]; where: string } {
  const root = join(dir, 'BSDS300');
  const ids = join(root, 'iids_test.txt');
  if (existsSync(ids)) {
    const paths = readFileSync(ids, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .sort()
      .map((id) => join(root, 'images', 'test', `${id}.jpg`));
    const missing = paths.filter((p) => !existsSync(p));
    if (missing.length) {
      throw new Error(
        `${ids} lists ${missing.length} images that are not there (first: ${missing[0]}); unpack BSDS300-images.tgz into ${dir} again`,
      );
    }
    return { paths, where: `the ids in ${ids}` };
  }
  // BSDS300-images.tgz need not hold iids_test.txt: its test images are the ones under images/test/.
  const test = join(root, 'images', 'test');
  if (isDir(test)) return { paths: images(test, /\.jpe?g$/i), where: `${test}/*.jpg` };
  if (isDir(join(dir, 'BSD100'))) return selfExSrImages(join(dir, 'BSD100'));
  return { paths: [], where: `${test}/*.jpg (or a BSD100/ folder)` };
}

/**
 * Sorted image paths of a test set in `dir`. The full set (no `count`) must hold
 * exactly its 5, 14 or 100 images; with `count`, the first `count` of at least
 * that many are taken (quick checks on fewer images). Errors say what was found.
 */
export function testSetImages(dir: string, set: SrTestSet, count?: number): string[] {
  const [name, size] = SR_TEST_SET_SIZES[set];
  const found = set === 'bsd100' ? bsd100Images(dir) : selfExSrImages(join(dir, name));
  const want = count ?? size;
  const ok = count === undefined ? found.paths.length === size : found.paths.length >= count;
  if (!ok) {
    const remedy =
      set === 'bsd100'
        ? `unpack BSDS300-images.tgz into ${dir} (BSDS300/images/test/ holds the 100 test images)`
        : `put SelfExSR's data/${name}/image_SRF_2/ in ${join(dir, name)}`;
    throw new Error(
      `${name} needs ${count === undefined ? '' : 'at least '}${want} images but ${found.paths.length} were found in ${found.where}; ` +
        `${remedy}, or pass download: true (--download)` +
        (count === undefined ? ', or evaluate on fewer with testImages (--test-images N)' : ''),
    );
  }
  return found.paths.slice(0, want);
}

export interface TestSetOptions extends FetchOptions {
  download?: boolean;
  /** Base of the SelfExSR repository's raw files (tests point it at a local server). */
  selfExSrBaseUrl?: string;
  /** URL of BSDS300-images.tgz. */
  bsdsUrl?: string;
  /** Take the first this many images of each set (default: each whole set, its size checked). */
  count?: number;
}

const found = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

/** Downloads what is missing (when asked) and returns each set's image paths. */
export async function ensureTestSets(dir: string, o: TestSetOptions = {}): Promise<Record<SrTestSet, string[]>> {
  if (o.download) {
    for (const set of ['set5', 'set14'] as const) {
      const [name, count] = SR_TEST_SET_SIZES[set];
      for (let i = 1; i <= count; i++) {
        const file = `img_${String(i).padStart(3, '0')}_SRF_2_HR.png`;
        const rel = `data/${name}/image_SRF_2/${file}`;
        await fetchInto(`${o.selfExSrBaseUrl ?? SELFEXSR_BASE_URL}/${rel}`, dir, o, { dest: join(dir, name, 'image_SRF_2', file) });
      }
    }
    if (!found(() => testSetImages(dir, 'bsd100', o.count))) {
      await fetchInto(o.bsdsUrl ?? BSDS300_URL, dir, o, { verify: () => void testSetImages(dir, 'bsd100', o.count) });
    }
  }
  return {
    set5: testSetImages(dir, 'set5', o.count),
    set14: testSetImages(dir, 'set14', o.count),
    bsd100: testSetImages(dir, 'bsd100', o.count),
  };
}
