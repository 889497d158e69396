// Bringing decoded images to one square size for a float batch: plain bilinear
// (PyTorch's interpolate, align_corners=False, no antialiasing), the similarity
// spec's preprocessing, on the shared native resize (src/image-ops.ts).
import { resize } from '../image-ops.js';
import { checkFloatTensor, type ByteImage, type FloatTensor } from '../tensor.js';
import { toFloatBatch } from './image.js';

/** Bilinear resize of a [0,1] batch [N, 3, H, W] to size x size (returned as is at that size). */
export async function resizeBilinear(images: FloatTensor, size: number): Promise<FloatTensor> {
  checkFloatTensor(images, 'images', 4);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`size must be a positive integer, got ${size}`);
  if (images.shape[2] === size && images.shape[3] === size) return images;
  return resize(images, [size, size], { mode: 'bilinear', antialias: false });
}

/** 8-bit images of any sizes to one [0,1] batch [N, 3, size, size]. */
export async function toSizedBatch(images: ByteImage[], size: number): Promise<FloatTensor> {
  if (images.every((img) => img.shape[0] === size && img.shape[1] === size)) return toFloatBatch(images);
  const plane = 3 * size * size;
  const data = new Float32Array(images.length * plane);
  for (let i = 0; i < images.length; i++) {
    const one = await resizeBilinear(toFloatBatch([images[i]!]), size);
    data.set(one.data, i * plane);
  }
  return { data, shape: [images.length, 3, size, size] };
}
