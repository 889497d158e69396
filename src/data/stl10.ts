// STL-10 for the autoencoder benchmark: the binary release
// (stl10_binary.tar.gz -> stl10_binary/{train,test}_{X,y}.bin and
// unlabeled_X.bin). X files are uint8 N x 3 x 96 x 96 with each channel stored
// column-major; y files hold one byte per image, 1..10, read as 0..9. The
// images are read from the .bin files in place, a batch at a time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchInto, type FetchOptions } from './fetch-dataset.js';
import { ImageRecords, type ImageSet } from './image-records.js';

export const STL10_URL = 'http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz';
export const STL10_MD5 = '91f7769df0f17e558f3565bffb0c7dfb';
export const STL10_SIDE = 96;
export type Stl10Split = 'train' | 'test' | 'unlabeled';

const IMAGE_BYTES = 3 * STL10_SIDE * STL10_SIDE;

/** The folder holding the .bin files: `dir` itself or its stl10_binary/ (as the tarball unpacks), or null. */
export function stl10Folder(dir: string): string | null {
  for (const d of [dir, join(dir, 'stl10_binary')]) if (existsSync(join(d, 'train_X.bin'))) return d;
  return null;
}

export interface Stl10Options extends FetchOptions {
  download?: boolean;
  /** URL of stl10_binary.tar.gz (tests point it at a local server). */
  url?: string;
  md5?: string;
}

/** The folder of the .bin files, downloading and unpacking the tarball (2.6 GB) first when asked and missing. */
export async function ensureStl10(dir: string, o: Stl10Options = {}): Promise<string> {
  let folder = stl10Folder(dir);
  if (!folder && o.download) {
    await fetchInto(o.url ?? STL10_URL, dir, o, {
      checksum: { md5: o.md5 ?? STL10_MD5 },
      verify: () => {
        if (!stl10Folder(dir)) throw new Error('no stl10_binary/train_X.bin');
      },
    });
    folder = stl10Folder(dir);
  }
  if (!folder) {
    throw new Error(
      `no STL-10 binaries in ${dir} (expected train_X.bin there or in stl10_binary/); unpack stl10_binary.tar.gz there, or pass --download (download: true) to fetch ${STL10_URL}`,
    );
  }
  return folder;
}

/** One split's images (and labels 0..9 for train and test). */
export async function openStl10(folder: string, split: Stl10Split): Promise<ImageSet> {
  const xPath = join(folder, `${split}_X.bin`);
  if (!existsSync(xPath)) throw new Error(`${xPath} is missing; unpack stl10_binary.tar.gz again`);
  const size = statSync(xPath).size;
  if (size === 0 || size % IMAGE_BYTES) {
    throw new Error(
      `${xPath} is truncated: ${size} bytes is not a whole number of 3x96x96 images; delete it and unpack or download it again`,
    );
  }
  const count = size / IMAGE_BYTES;
  const images = await ImageRecords.open(xPath, { count, side: STL10_SIDE });
  if (split === 'unlabeled') return { images };
  const yPath = join(folder, `${split}_y.bin`);
  const raw = existsSync(yPath) ? readFileSync(yPath) : null;
  if (!raw || raw.length !== count) {
    await images.close();
    throw new Error(`${yPath} ${raw ? `holds ${raw.length} labels for ${count} images` : 'is missing'}; unpack stl10_binary.tar.gz again`);
  }
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = raw[i]!;
    if (v < 1 || v > 10) {
      await images.close();
      throw new Error(`${yPath}: label ${v} at ${i} is not 1..10`);
    }
    labels[i] = v - 1;
  }
  return { images, labels };
}
