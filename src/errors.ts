// The errors dpl-torch throws or rejects with: standard classes (TypeError,
// RangeError, Error) carrying a stable `code`, the same from TypeScript checks and
// from native code (native/errors.h holds the same table; test/error-codes.test.ts
// checks that they agree). Messages may change; codes do not.

/** Each code, the class its errors have, and what it means (README, "Errors"). */
export const ERROR_CODES = {
  /** An argument of the wrong type, or an option value it does not accept. */
  ERR_DPL_ARG: TypeError,
  /** Tensor data of the wrong element type (e.g. a Float64Array where a Float32Array is needed). */
  ERR_DPL_DTYPE: TypeError,
  /** A tensor of the wrong shape, shapes that differ, or an image too small for the work. */
  ERR_DPL_SHAPE: RangeError,
  /** A layer past the end of the network, or a layer name it does not have. */
  ERR_DPL_LAYER: RangeError,
  /** NaN or infinity in the input, or a training loss that became NaN. */
  ERR_DPL_NAN: RangeError,
  /** The object (network, model, trainer, DeviceTensor) was disposed. */
  ERR_DPL_DISPOSED: Error,
  /** A device this build or this machine does not have, or a DeviceTensor on another device than the network. */
  ERR_DPL_DEVICE: Error,
  /** A file that is missing, unreadable, corrupt, or made for something else. */
  ERR_DPL_FILE: Error,
  /** The job queue is at the bound set by setMaxPendingJobs. */
  ERR_DPL_BUSY: Error,
  /** LibTorch failed inside the work (its message is kept). */
  ERR_DPL_TORCH: Error,
} as const;

export type DplErrorCode = keyof typeof ERROR_CODES;

/** An error from dpl-torch: a TypeError, RangeError or Error with a `code`. */
export type DplError = Error & { code: DplErrorCode };

/** A new error of the class that `code` has, with `code` set. */
export function dplError(code: DplErrorCode, message: string): DplError {
  const error = new ERROR_CODES[code](message) as DplError;
  error.code = code;
  return error;
}

/** Whether `e` is an error from dpl-torch (with `code`, if given). */
export function isDplError(e: unknown, code?: DplErrorCode): e is DplError {
  if (!(e instanceof Error)) return false;
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && c in ERROR_CODES && (code === undefined || c === code);
}
