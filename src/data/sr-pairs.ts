// Super-resolution pairs: the HR crop and its blurred, downscaled LR input,
// made the same way for training, validation and test images (spec: Data).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { centerCrop, gaussianBlur, resizeImage } from '../image-ops.js';
import type { ByteImage, FloatTensor } from '../tensor.js';
import { saveAtomic, writeJsonAtomic } from '../training/atomic.js';
import { fromFloatBatch, readImage, toFloatBatch } from './image.js';

export interface SrPair {
  hr: ByteImage;
  lr: ByteImage;
}

export interface SrPairOptions {
  /** HR side in 'crop' mode (288 in the spec); must be a multiple of factor. */
  hrSize: number;
  factor: number;
  /** 'crop': shorter side to hrSize, centre crop (the spec's default); 'native': crop to a multiple of factor. */
  resolution?: 'crop' | 'native';
}

/**
 * HR = shorter side resized to hrSize (bilinear, antialiased, long side truncated),
 * rounded to 8 bits as a PIL image would be, then centre-cropped square.
 * LR = Gaussian blur (sigma 1) of that HR crop, rounded to 8 bits, then
 * antialiased bicubic downscale by `factor` (PIL-style 8-bit passes).
 */
export async function makeSrPair(image: ByteImage, o: SrPairOptions): Promise<SrPair> {
  const [h, w] = image.shape;
  let hr: ByteImage;
  if ((o.resolution ?? 'crop') === 'crop') {
    const s = o.hrSize;
    const size: [number, number] = h <= w ? [s, Math.floor((w * s) / h)] : [Math.floor((h * s) / w), s];
    const scaled = size[0] === h && size[1] === w ? image : await resizeImage(image, size, { mode: 'bilinear' });
    hr = centerCrop(scaled, s, s);
  } else {
    const [ch, cw] = [h - (h % o.factor), w - (w % o.factor)];
    if (ch < 5 * o.factor || cw < 5 * o.factor) throw new Error(`an image of ${h}x${w} is too small for x${o.factor}`);
    hr = centerCrop(image, ch, cw);
  }
  const blurred = fromFloatBatch(await gaussianBlur(toFloatBatch([hr]), { sigma: 1 }));
  const lr = await resizeImage(blurred, [hr.shape[0] / o.factor, hr.shape[1] / o.factor], { mode: 'bicubic' });
  return { hr, lr };
}

export interface PrepareOptions extends SrPairOptions {
  /** Folder for the prepared file (reused by every run with the same images and sizes). */
  cacheDir: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * A fixed-size set of prepared pairs in one binary file (HR then LR bytes per
 * record), so training reads batches without decoding JPEGs again.
 */
export class PreparedSrSet {
  private constructor(
    private readonly file: FileHandle,
    readonly count: number,
    readonly hrSize: number,
    readonly factor: number,
  ) {}

  /** Prepares (or reuses) the pairs of `paths` in order. */
  static async prepare(paths: string[], o: PrepareOptions): Promise<PreparedSrSet> {
    if (!paths.length) throw new Error('no images to prepare');
    if (o.hrSize % o.factor) throw new Error(`hrSize ${o.hrSize} must be a multiple of the factor ${o.factor}`);
    const key = createHash('sha256')
      .update(JSON.stringify({ v: 1, paths, hr: o.hrSize, f: o.factor }))
      .digest('hex')
      .slice(0, 16);
    mkdirSync(o.cacheDir, { recursive: true });
    const bin = join(o.cacheDir, `sr-${o.hrSize}-x${o.factor}-${key}.bin`);
    const meta = `${bin}.json`;
    if (!existsSync(meta) || !existsSync(bin) || JSON.parse(readFileSync(meta, 'utf8')).count !== paths.length) {
      // Runs started together may prepare the same set; each writes its own
      // temporary file and the (atomic, identical) renames leave one complete file.
      await saveAtomic(bin, async (partPath) => {
        const part = await open(partPath, 'w');
        try {
          for (let i = 0; i < paths.length; i++) {
            if (o.signal?.aborted) throw new Error('preparing the data was aborted');
            const pair = await makeSrPair(await readImage(paths[i]!), { ...o, resolution: 'crop' });
            await part.write(pair.hr.data);
            await part.write(pair.lr.data);
            o.onProgress?.(i + 1, paths.length);
          }
        } finally {
          await part.close();
        }
      });
      writeJsonAtomic(meta, { count: paths.length, hrSize: o.hrSize, factor: o.factor, paths });
    }
    return new PreparedSrSet(await open(bin, 'r'), paths.length, o.hrSize, o.factor);
  }

  private get hrBytes(): number {
    return this.hrSize * this.hrSize * 3;
  }
  private get lrBytes(): number {
    return this.hrBytes / (this.factor * this.factor);
  }

  /** Pair `i` as 8-bit images. */
  async pair(i: number): Promise<SrPair> {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`pair ${i} is outside 0..${this.count - 1}`);
    const buf = new Uint8Array(this.hrBytes + this.lrBytes);
    await this.file.read(buf, 0, buf.length, i * buf.length);
    const l = this.hrSize / this.factor;
    return {
      hr: { data: buf.subarray(0, this.hrBytes), shape: [this.hrSize, this.hrSize, 3] },
      lr: { data: buf.subarray(this.hrBytes), shape: [l, l, 3] },
    };
  }

  /** The pairs at `indices` as [0,1] float batches. */
  async batch(indices: number[]): Promise<{ lr: FloatTensor; hr: FloatTensor }> {
    const pairs = await Promise.all(indices.map((i) => this.pair(i)));
    return { lr: toFloatBatch(pairs.map((p) => p.lr)), hr: toFloatBatch(pairs.map((p) => p.hr)) };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
