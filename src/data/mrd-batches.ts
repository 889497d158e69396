// MRD samples for training and evaluation (spec: delineation.md, Data):
// seeded random crops at native resolution with a horizontal flip for training,
// whole tiles for validation and test, as the float batches native code takes.
//
// Training reads only each crop's region of the tile and mask files (libvips
// decodes little more than the rows it needs), so no tile is kept in memory:
// the paper's 1,108 training tiles are 7.5 GB decoded. Whole tiles go through a
// small byte-budgeted cache, since validation reads the same few every epoch.
import type { ByteImage, FloatTensor } from '../tensor.js';
import { toFloatBatch } from './image.js';
import { readMrdPair, mrdPairInfo, type MrdPair, type MrdTile } from './mrd.js';
import { mixSeed, mulberry32 } from './seeded.js';

/** A square crop of a tile, flipped left-right when `flip`. */
export interface Crop {
  top: number;
  left: number;
  size: number;
  flip: boolean;
}

const CROP_STREAM = 0x63726f70; // 'crop': keeps this stream apart from other uses of the run's seed

/**
 * The crop of training sample `index` (its place in the split) in `epoch` of a
 * run seeded `seed`: a uniform position of a size x size window in the tile and
 * a flip with probability 0.5. A pure function of its arguments, so a resumed
 * run sees the same crops.
 */
export function trainingCrop(height: number, width: number, size: number, seed: number, epoch: number, index: number): Crop {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`the crop size must be a positive integer, got ${size}`);
  if (height < size || width < size) throw new RangeError(`a ${width}x${height} tile is smaller than the ${size}x${size} training crop`);
  const r = mulberry32(mixSeed(seed, epoch, index, CROP_STREAM));
  const top = Math.floor(r() * (height - size + 1));
  const left = Math.floor(r() * (width - size + 1));
  return { top, left, size, flip: r() < 0.5 };
}

/** Flips HWC rows left-right in place (channels kept together). */
function flipRows(data: Uint8Array, height: number, width: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    for (let a = y * width, b = a + width - 1; a < b; a++, b--) {
      for (let k = 0; k < channels; k++) {
        const t = data[a * channels + k]!;
        data[a * channels + k] = data[b * channels + k]!;
        data[b * channels + k] = t;
      }
    }
  }
}

/** `crop` of a decoded tile: the same window (and flip) of image and mask. */
export function cropTile(tile: MrdTile, crop: Crop): { image: ByteImage; mask: Uint8Array } {
  const { top, left, size } = crop;
  if (top < 0 || left < 0 || top + size > tile.height || left + size > tile.width) {
    throw new RangeError(`crop ${size}x${size} at (${top}, ${left}) does not fit a ${tile.width}x${tile.height} tile`);
  }
  const image = new Uint8Array(size * size * 3);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const src = (top + y) * tile.width + left;
    image.set(tile.image.data.subarray(src * 3, (src + size) * 3), y * size * 3);
    mask.set(tile.mask.subarray(src, src + size), y * size);
  }
  if (crop.flip) {
    flipRows(image, size, size, 3);
    flipRows(mask, size, size, 1);
  }
  return { image: { data: image, shape: [size, size, 3] }, mask };
}

/** Reads `crop` of a pair from its files (only that region is decoded). */
export async function readCrop(pair: MrdPair, crop: Crop): Promise<{ image: ByteImage; mask: Uint8Array }> {
  const region = await readMrdPair(pair, { left: crop.left, top: crop.top, width: crop.size, height: crop.size });
  if (crop.flip) {
    flipRows(region.image.data, crop.size, crop.size, 3);
    flipRows(region.mask, crop.size, crop.size, 1);
  }
  return { image: region.image, mask: region.mask };
}

export interface TrainingBatchOptions {
  /** Crop side (spec: 224). */
  size: number;
  seed: number;
  epoch: number;
}

export interface MrdBatch {
  /** [N, 3, S, S], RGB in [0, 1]. */
  images: FloatTensor;
  /** [N, 1, S, S], 0 or 1. */
  masks: FloatTensor;
}

/** Packs HWC 8-bit images and 0/1 masks into the NCHW float batch. */
function pack(samples: { image: ByteImage; mask: Uint8Array }[], height: number, width: number): MrdBatch {
  const plane = height * width;
  const masks = new Float32Array(samples.length * plane);
  samples.forEach(({ mask }, n) => masks.set(mask, n * plane));
  return { images: toFloatBatch(samples.map((s) => s.image)), masks: { data: masks, shape: [samples.length, 1, height, width] } };
}

/**
 * The training batch of samples `indices` of `pairs`: each sample's crop for
 * (seed, epoch, index), decoded concurrently on libuv's pool. A tile smaller
 * than the crop, a damaged file or a mask of another size is an error naming the file.
 */
export async function loadTrainingBatch(pairs: readonly MrdPair[], indices: readonly number[], o: TrainingBatchOptions): Promise<MrdBatch> {
  if (!indices.length) throw new RangeError('a training batch needs at least one sample');
  const samples = await Promise.all(
    indices.map(async (i) => {
      const pair = pairs[i];
      if (!pair) throw new RangeError(`sample ${i} is outside the ${pairs.length} training tiles`);
      const { image } = await mrdPairInfo(pair);
      if (image.height < o.size || image.width < o.size) {
        throw new RangeError(
          `the MRD tile ${pair.image} is ${image.width}x${image.height}, smaller than the ${o.size}x${o.size} training crop`,
        );
      }
      return readCrop(pair, trainingCrop(image.height, image.width, o.size, o.seed, o.epoch, i));
    }),
  );
  return pack(samples, o.size, o.size);
}

/** Decoded whole tiles kept up to a byte budget, least recently used first out. */
export class TileCache {
  private readonly tiles = new Map<string, Promise<MrdTile>>();
  private readonly bytes = new Map<string, number>();
  private used = 0;

  /** @param budget bytes of decoded tiles to keep (a 1500x1500 tile and its mask take 9 MB). */
  constructor(readonly budget = 512 * 2 ** 20) {}

  get size(): number {
    return this.tiles.size;
  }

  get(pair: MrdPair): Promise<MrdTile> {
    const key = `${pair.image}|${pair.mask}`;
    let tile = this.tiles.get(key);
    if (tile) {
      this.tiles.delete(key); // re-inserted below: most recently used last
    } else {
      tile = readMrdPair(pair);
      tile.then(
        (t) => this.account(key, t.image.data.length + t.mask.length),
        () => this.forget(key),
      );
    }
    this.tiles.set(key, tile);
    return tile;
  }

  private account(key: string, n: number): void {
    if (!this.tiles.has(key)) return;
    this.bytes.set(key, n);
    this.used += n;
    for (const old of this.tiles.keys()) {
      if (this.used <= this.budget) break;
      if (this.bytes.has(old)) this.forget(old);
    }
  }

  private forget(key: string): void {
    this.tiles.delete(key);
    this.used -= this.bytes.get(key) ?? 0;
    this.bytes.delete(key);
  }
}

/**
 * A whole tile and its mask as [1, 3, H, W] and [1, 1, H, W] at native
 * resolution, unpadded (the model pads to a multiple of 16 and crops back).
 */
export async function loadWholeTile(pair: MrdPair, cache?: TileCache): Promise<{ image: FloatTensor; mask: FloatTensor }> {
  const tile = await (cache ? cache.get(pair) : readMrdPair(pair));
  const { images, masks } = pack([tile], tile.height, tile.width);
  return { image: images, mask: masks };
}
