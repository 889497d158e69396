// Decoding and encoding 8-bit RGB images in TypeScript (PNG, JPEG), and
// conversion to the float NCHW batches native code takes.
import { readFileSync, writeFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ByteImage, FloatTensor } from '../tensor.js';

/** Decodes PNG or JPEG bytes to RGB (alpha dropped, grey expanded). */
export function decodeImage(bytes: Uint8Array, name = 'image'): ByteImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const png = PNG.sync.read(buf);
    ({ width, height } = png);
    rgba = png.data;
  } else if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    ({ width, height } = img);
    rgba = img.data;
  } else {
    throw new Error(`${name} is neither PNG nor JPEG`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = rgba[j]!;
    data[i + 1] = rgba[j + 1]!;
    data[i + 2] = rgba[j + 2]!;
  }
  return { data, shape: [height, width, 3] };
}

export function readImage(path: string): ByteImage {
  return decodeImage(readFileSync(path), path);
}

export function encodePng(img: ByteImage): Buffer {
  const [h, w] = img.shape;
  const png = new PNG({ width: w, height: h });
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    png.data[j] = img.data[i]!;
    png.data[j + 1] = img.data[i + 1]!;
    png.data[j + 2] = img.data[i + 2]!;
    png.data[j + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function writePng(path: string, img: ByteImage): void {
  writeFileSync(path, encodePng(img));
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
