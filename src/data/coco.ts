// COCO 2014 images for super-resolution training: train2014/ and val2014/
// folders of COCO_<split>_<id>.jpg, from the user's folder or downloaded from
// images.cocodataset.org. Subsets are a seeded shuffle of the sorted names.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fetchInto, type FetchOptions } from './fetch-dataset.js';
import { seededShuffle } from './seeded.js';

export const COCO_BASE_URL = 'http://images.cocodataset.org/zips';
export type CocoSplit = 'train2014' | 'val2014';

/** Sorted paths of the split's JPEGs, or an error naming the remedy. */
export function cocoImages(dir: string, split: CocoSplit): string[] {
  const folder = join(dir, split);
  const names = existsSync(folder)
    ? readdirSync(folder)
        .filter((n) => /\.jpe?g$/i.test(n))
        .sort()
    : [];
  if (!names.length) {
    throw new Error(
      `no COCO ${split} images in ${folder}; put the unzipped ${split}/ folder in ${dir}, or pass download: true (--download) to fetch ${COCO_BASE_URL}/${split}.zip`,
    );
  }
  return names.map((n) => join(folder, n));
}

export interface CocoOptions extends FetchOptions {
  download?: boolean;
  /** Base URL of the zips (tests point it at a local server). */
  baseUrl?: string;
}

/**
 * The split's sorted image paths, downloading and unpacking the zip first when
 * asked and missing. The zip is deleted once unpacked and checked (train2014 is
 * 13 GB, val2014 6 GB); the `.unpacked` marker beside it records the unpack.
 */
export async function ensureCoco(dir: string, split: CocoSplit, o: CocoOptions = {}): Promise<string[]> {
  const zip = join(dir, 'downloads', `${split}.zip`);
  if (o.download) {
    const have = existsSync(join(dir, split)) && readdirSync(join(dir, split)).some((n) => /\.jpe?g$/i.test(n));
    // A folder the user already has is used as it is, unless a download of ours is under way there.
    if (!have || existsSync(`${zip}.part`) || existsSync(zip)) {
      await fetchInto(`${o.baseUrl ?? COCO_BASE_URL}/${split}.zip`, dir, o, { verify: () => void cocoImages(dir, split) });
    }
  }
  return cocoImages(dir, split);
}

/** The first `n` of a seeded shuffle of the sorted paths (the same subset on any machine). */
export function selectImages(sortedPaths: string[], n: number, seed: number): string[] {
  if (n > sortedPaths.length) {
    throw new Error(`asked for ${n} images but only ${sortedPaths.length} are there; lower the count or add images`);
  }
  return seededShuffle(sortedPaths, seed).slice(0, n);
}
