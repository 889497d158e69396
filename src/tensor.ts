// The shapes that cross the boundary to native code.
// Float images and features: Float32Array, NCHW. 8-bit images: Uint8Array, HWC;
// 8-bit batches (datasets kept as bytes, converted on the native side): Uint8Array, NCHW.
import { dplError } from './errors.js';

export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}

export interface ByteImage {
  data: Uint8Array;
  shape: [number, number, number];
}

/** A batch of 8-bit RGB images, NCHW. */
export interface ByteBatch {
  data: Uint8Array;
  shape: [number, number, number, number];
}

/**
 * Throws naming `what` unless `t` is a well-formed FloatTensor of `rank` dims:
 * ERR_DPL_ARG (not such an object), ERR_DPL_DTYPE (other typed array), ERR_DPL_SHAPE.
 */
export function checkFloatTensor(t: unknown, what: string, rank?: number): asserts t is FloatTensor {
  const v = t as Partial<FloatTensor> | null;
  if (!v || !(v.data instanceof Float32Array) || !Array.isArray(v.shape)) {
    const code = v && ArrayBuffer.isView(v.data) ? 'ERR_DPL_DTYPE' : 'ERR_DPL_ARG';
    throw dplError(code, `${what} must be { data: Float32Array, shape: number[] }`);
  }
  checkShape(v.shape, v.data.length, what, rank);
}

/** Throws naming `what` unless `img` is an 8-bit RGB image [h, w, 3] (codes as checkFloatTensor). */
export function checkByteImage(img: unknown, what: string): asserts img is ByteImage {
  const v = img as Partial<ByteImage> | null;
  if (!v || !(v.data instanceof Uint8Array) || !Array.isArray(v.shape)) {
    const code = v && ArrayBuffer.isView(v.data) ? 'ERR_DPL_DTYPE' : 'ERR_DPL_ARG';
    throw dplError(code, `${what} must be { data: Uint8Array, shape: [h, w, 3] }`);
  }
  checkShape(v.shape, v.data.length, what, 3);
  if (v.shape[2] !== 3) throw dplError('ERR_DPL_SHAPE', `${what} must have 3 channels (HWC RGB), got ${v.shape[2]}`);
}

/** Throws naming `what` unless `b` is an 8-bit RGB batch [n, 3, h, w] (codes as checkFloatTensor). */
export function checkByteBatch(b: unknown, what: string): asserts b is ByteBatch {
  const v = b as Partial<ByteBatch> | null;
  if (!v || !(v.data instanceof Uint8Array) || !Array.isArray(v.shape)) {
    const code = v && ArrayBuffer.isView(v.data) ? 'ERR_DPL_DTYPE' : 'ERR_DPL_ARG';
    throw dplError(code, `${what} must be { data: Uint8Array, shape: [n, 3, h, w] }`);
  }
  checkShape(v.shape, v.data.length, what, 4);
  if (v.shape[1] !== 3) throw dplError('ERR_DPL_SHAPE', `${what} must have 3 channels (NCHW RGB), got ${v.shape[1]}`);
}

function checkShape(shape: number[], length: number, what: string, rank?: number): void {
  if (rank !== undefined && shape.length !== rank) {
    throw dplError('ERR_DPL_SHAPE', `${what}.shape must have ${rank} dimensions, got [${shape.join(', ')}]`);
  }
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw dplError('ERR_DPL_SHAPE', `${what}.shape must hold positive integers, got [${shape.join(', ')}]`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) {
    throw dplError('ERR_DPL_SHAPE', `${what}.data has ${length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
