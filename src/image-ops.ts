// Image operations with exact numerics (native, on the tensor worker, so they
// return Promises): antialiased resize as PIL, Gaussian blur, BT.601 luma, and
// PSNR/SSIM as scikit-image computes them on the luma. Bad arguments reject
// the Promise. Cropping and 8-bit quantisation are plain indexing and rounding,
// done synchronously in TS.
import { z } from 'zod';
import { fromFloatBatch, toFloatBatch } from './data/image.js';
import { dplError } from './errors.js';
import { native } from './native.js';
import { checkByteImage, checkFloatTensor, type ByteImage, type FloatTensor } from './tensor.js';
import { parseOptions } from './validate.js';

const ResizeOptions = z.object({
  mode: z.enum(['bilinear', 'bicubic']).default('bicubic'),
  /** Antialiased (PIL-like, bicubic a = -0.5) when downscaling; on by default. */
  antialias: z.boolean().default(true),
});
export type ResizeOptions = z.input<typeof ResizeOptions>;

const Size = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/** Resizes a [0,1] float batch [N, C, H, W] to [N, C, h, w]. */
export async function resize(images: FloatTensor, size: [number, number], options: ResizeOptions = {}): Promise<FloatTensor> {
  checkFloatTensor(images, 'images', 4);
  const [h, w] = parseOptions(Size, size, 'resize size [h, w]');
  const o = parseOptions(ResizeOptions, options, 'resize options');
  return native().resizeImages(images, h, w, o.mode, o.antialias);
}

/**
 * Resizes an 8-bit image as PIL's Image.resize does: a horizontal pass, rounded
 * and clamped to 8 bits, then a vertical pass, rounded again. (The intermediate
 * rounding matters for bicubic, whose overshoot PIL clips between passes.)
 */
export async function resizeImage(image: ByteImage, size: [number, number], options: ResizeOptions = {}): Promise<ByteImage> {
  checkByteImage(image, 'image');
  const [h, w] = parseOptions(Size, size, 'resize size [h, w]');
  let out = image;
  if (w !== out.shape[1]) out = fromFloatBatch(await resize(toFloatBatch([out]), [out.shape[0], w], options));
  if (h !== out.shape[0]) out = fromFloatBatch(await resize(toFloatBatch([out]), [h, w], options));
  return out;
}

const BlurOptions = z.object({ sigma: z.number().positive().default(1) });

/**
 * Gaussian blur of a float batch [N, C, H, W]: taps -r..r with r = ceil(4 sigma)
 * (9 taps for sigma 1, scipy's default truncation), reflection padding without
 * repeating the edge (torchvision's GaussianBlur, scipy mode 'mirror').
 */
export async function gaussianBlur(images: FloatTensor, options: z.input<typeof BlurOptions> = {}): Promise<FloatTensor> {
  checkFloatTensor(images, 'images', 4);
  return native().gaussianBlur(images, parseOptions(BlurOptions, options, 'gaussianBlur options').sigma);
}

/** The centre h x w window of an 8-bit image (top/left offsets rounded down). */
export function centerCrop(image: ByteImage, h: number, w: number = h): ByteImage {
  checkByteImage(image, 'image');
  const [H, W] = image.shape;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h > H || w > W) {
    throw dplError('ERR_DPL_SHAPE', `cannot crop ${h}x${w} from a ${H}x${W} image; the crop must be positive and fit`);
  }
  const top = Math.floor((H - h) / 2);
  const left = Math.floor((W - w) / 2);
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * W + left) * 3;
    data.set(image.data.subarray(from, from + w * 3), y * w * 3);
  }
  return { data, shape: [h, w, 3] };
}

/** Each image of a [0,1] float batch as 8-bit HWC, as a saved PNG would hold it (round half up, clamp). */
export function quantize(images: FloatTensor): ByteImage[] {
  checkFloatTensor(images, 'images', 4);
  return Array.from({ length: images.shape[0]! }, (_, n) => fromFloatBatch(images, n));
}

/** BT.601 luma as MATLAB's rgb2ycbcr (unrounded): Y = 16 + 65.481 R + 128.553 G + 24.966 B, RGB in [0,1]. */
export async function luma(image: ByteImage): Promise<FloatTensor> {
  checkByteImage(image, 'image');
  return native().luma(image);
}

const MetricOptions = z.object({
  /** Pixels dropped from each border before comparing (the SR factor in the benchmark). */
  shave: z.number().int().nonnegative().default(0),
});
export type MetricOptions = z.input<typeof MetricOptions>;

function checkPair(a: ByteImage, b: ByteImage): void {
  checkByteImage(a, 'a');
  checkByteImage(b, 'b');
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw dplError('ERR_DPL_SHAPE', `a and b must have the same size, got ${a.shape.join('x')} and ${b.shape.join('x')}`);
  }
}

/** PSNR (peak 255) between the lumas of two 8-bit RGB images; Infinity when equal. */
export async function psnr(a: ByteImage, b: ByteImage, options: MetricOptions = {}): Promise<number> {
  checkPair(a, b);
  return native().psnr(a, b, parseOptions(MetricOptions, options, 'psnr options').shave);
}

/**
 * SSIM between the lumas (Gaussian 11x11 window, sigma 1.5, K1 0.01, K2 0.03,
 * data range 255, population covariance, mean of the valid map): equals
 * skimage's structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=255).
 */
export async function ssim(a: ByteImage, b: ByteImage, options: MetricOptions = {}): Promise<number> {
  checkPair(a, b);
  return native().ssim(a, b, parseOptions(MetricOptions, options, 'ssim options').shave);
}
