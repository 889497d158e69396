// Decoding and encoding 8-bit images (PNG, JPEG, TIFF) through sharp (libvips,
// libjpeg-turbo's decoder), and conversion to the float NCHW batches native code
// takes. Decoding runs on libuv's thread pool, off the event loop.
//
// The study loads images with PIL's `Image.open(f).convert('RGB')`; we match it:
// no EXIF auto-rotation, no colour-profile conversion (embedded ICC profiles are
// ignored), alpha dropped without compositing, grey replicated to RGB, a palette
// expanded. JPEG pixels equal PIL's exactly (test/image.test.ts). 16-bit images
// keep the high byte (PIL does so for 16-bit RGB; it clips 16-bit grey at 255,
// which we do not copy). CMYK, Lab, float and other layouts are refused.
import { writeFile } from 'node:fs/promises';
import sharp, { type ColourspaceEnum, type Metadata } from 'sharp';
import type { ByteImage, FloatTensor } from '../tensor.js';

/** An 8-bit raster as stored: grey (1 channel) or RGB (3), row-major HWC, alpha dropped. */
export interface Raster {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** A rectangle of an image, in pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What a decoder needs to know about a file before decoding it. */
export interface ImageInfo {
  height: number;
  width: number;
  /** libvips interpretation: 'srgb', 'rgb16', 'b-w' or 'grey16' are read. */
  space: string;
  depth: string;
}

type Input = string | Uint8Array;

const nameOf = (input: Input, name?: string) => name ?? (typeof input === 'string' ? input : 'image');

function open(input: Input) {
  // ignoreIcc: pixels as stored, as PIL gives them (sharp would otherwise convert
  // an embedded profile to sRGB). autoOrient stays off: PIL does not rotate either.
  return sharp(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength), {
    ignoreIcc: true,
    autoOrient: false,
    failOn: 'warning',
  });
}

/** Size and layout from the file's header (cheap: nothing is decoded). */
export async function imageInfo(input: Input, name?: string): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    meta = await open(input).metadata();
  } catch (e) {
    throw decodeError(nameOf(input, name), e);
  }
  const info = { height: meta.height, width: meta.width, space: String(meta.space), depth: String(meta.depth) };
  if (!['srgb', 'rgb16', 'b-w', 'grey16'].includes(info.space) || !['uchar', 'ushort'].includes(info.depth)) {
    throw new Error(
      `${nameOf(input, name)} is ${info.space} with ${info.depth} samples; dpl-torch reads 8- or 16-bit RGB or grey images ` +
        '(convert it, e.g. to an 8-bit RGB PNG or TIFF)',
    );
  }
  return info;
}

/**
 * Decodes an image file (path) or its bytes to an 8-bit raster in the file's
 * own layout (grey or RGB), optionally only `region` of it (for TIFF strips and
 * PNG rows libvips then reads little more than the region).
 */
export async function decodeRaster(input: Input, o: { name?: string; region?: Region; info?: ImageInfo } = {}): Promise<Raster> {
  const name = nameOf(input, o.name);
  const info = o.info ?? (await imageInfo(input, name));
  const wide = info.depth === 'ushort';
  let data: Buffer;
  let channels: number;
  let width: number;
  let height: number;
  try {
    // toColourspace(its own space): no implicit conversion (sharp would turn grey into sRGB).
    let pipe = open(input).toColourspace(info.space as keyof ColourspaceEnum);
    if (o.region) pipe = pipe.extract(o.region);
    const out = await pipe.raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    ({ data } = out);
    ({ channels, width, height } = out.info);
  } catch (e) {
    throw decodeError(name, e);
  }
  const grey = channels <= 2;
  const keep = grey ? 1 : 3;
  const px = width * height;
  const outData = new Uint8Array(px * keep);
  if (wide) {
    const copy = data.byteOffset % 2 ? Buffer.from(data) : data;
    const words = new Uint16Array(copy.buffer, copy.byteOffset, copy.byteLength / 2);
    for (let p = 0; p < px; p++) for (let k = 0; k < keep; k++) outData[p * keep + k] = words[p * channels + k]! >> 8;
  } else if (channels === keep) {
    outData.set(data);
  } else {
    for (let p = 0; p < px; p++) for (let k = 0; k < keep; k++) outData[p * keep + k] = data[p * channels + k]!;
  }
  return { data: outData, height, width, channels: keep };
}

function decodeError(name: string, e: unknown): Error {
  // libvips' message, its distinct lines (libtiff repeats a warning per strip).
  const msg = [...new Set((e as Error).message.split('\n').filter(Boolean))].slice(0, 4).join('; ');
  return new Error(`cannot decode ${name}: ${msg}. The file is damaged, truncated or not an image: replace it (download it again)`);
}

/** Grey to RGB by replication (as PIL's convert('RGB')); RGB as it is. */
export function rasterToRgb(r: Raster): ByteImage {
  if (r.channels === 3) return { data: r.data, shape: [r.height, r.width, 3] };
  const data = new Uint8Array(r.data.length * 3);
  for (let i = 0; i < r.data.length; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = r.data[i]!;
  return { data, shape: [r.height, r.width, 3] };
}

/** RGB to grey as PIL's convert('L') (ITU-R 601-2 luma in 16-bit fixed point); grey as it is. */
export function rasterToGrey(r: Raster): Uint8Array {
  if (r.channels === 1) return r.data;
  const out = new Uint8Array(r.height * r.width);
  for (let p = 0; p < out.length; p++) {
    out[p] = (r.data[p * 3]! * 19595 + r.data[p * 3 + 1]! * 38470 + r.data[p * 3 + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/** Decodes a PNG, JPEG or TIFF file (path) or its bytes to 8-bit RGB, as PIL's convert('RGB'). */
export async function decodeImage(input: Input, name?: string): Promise<ByteImage> {
  return rasterToRgb(await decodeRaster(input, { name }));
}

export function readImage(path: string): Promise<ByteImage> {
  return decodeImage(path);
}

/** Decodes many files concurrently (on libuv's pool), in order. */
export function readImages(paths: readonly string[]): Promise<ByteImage[]> {
  return Promise.all(paths.map((p) => readImage(p)));
}

function fromRaw(img: ByteImage | Raster) {
  const [height, width, channels] = 'shape' in img ? img.shape : [img.height, img.width, img.channels];
  if (img.data.length !== height * width * channels)
    throw new RangeError(`image data holds ${img.data.length} bytes, expected ${height}x${width}x${channels}`);
  const pipe = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width, height, channels: channels as 1 | 3 },
  });
  // One channel stays grey (sharp would write it as sRGB).
  return channels === 1 ? pipe.toColourspace('b-w') : pipe;
}

export function encodePng(img: ByteImage | Raster): Promise<Buffer> {
  return fromRaw(img).png().toBuffer();
}

export function encodeJpeg(img: ByteImage, quality = 95): Promise<Buffer> {
  return fromRaw(img).jpeg({ quality }).toBuffer();
}

/** An uncompressed TIFF (RGB or single-channel grey, 8 bits), as the MRD tiles are stored. */
export function encodeTiff(img: ByteImage | Raster): Promise<Buffer> {
  return fromRaw(img).tiff({ compression: 'none' }).toBuffer();
}

export async function writePng(path: string, img: ByteImage | Raster): Promise<void> {
  await writeFile(path, await encodePng(img));
}

/** Stacks same-sized HWC 8-bit images into a [0,1] float batch [N, 3, H, W]. */
export function toFloatBatch(images: ByteImage[]): FloatTensor {
  if (!images.length) throw new Error('toFloatBatch needs at least one image');
  const [h, w] = images[0]!.shape;
  const plane = h * w;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((img, n) => {
    if (img.shape[0] !== h || img.shape[1] !== w) {
      throw new Error(`images in a batch must share a size: ${img.shape[0]}x${img.shape[1]} vs ${h}x${w}`);
    }
    const base = n * 3 * plane;
    for (let p = 0; p < plane; p++) {
      data[base + p] = img.data[p * 3]! / 255;
      data[base + plane + p] = img.data[p * 3 + 1]! / 255;
      data[base + 2 * plane + p] = img.data[p * 3 + 2]! / 255;
    }
  });
  return { data, shape: [images.length, 3, h, w] };
}

/** Image n of a [0,1] float batch back to 8-bit HWC (round half up, clamped). */
export function fromFloatBatch(batch: FloatTensor, n = 0): ByteImage {
  const [, c, h, w] = batch.shape as [number, number, number, number];
  if (c !== 3) throw new Error(`fromFloatBatch needs 3 channels, got ${c}`);
  const plane = h * w;
  const base = n * 3 * plane;
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const v = Math.floor(batch.data[base + k * plane + p]! * 255 + 0.5);
      data[p * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data, shape: [h, w, 3] };
}
