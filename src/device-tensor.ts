// DeviceTensor: a float32 NCHW batch kept on a device ('cpu', 'cuda', 'cuda:N') across
// calls (native/device_tensor.h), so a loop on a GPU need not copy its images in and
// its gradients out through JS every step. Accepted wherever the loss network path
// takes a FloatTensor: LossNetwork.features, perceptualLoss's a and b; and
// perceptualLoss(..., { grad: true, gradOutput: 'device' }) gives the gradient as one.
import { native, type NativeDeviceTensor } from './native.js';
import { checkFloatTensor, type FloatTensor } from './tensor.js';

export class DeviceTensor {
  private constructor(
    /** The native handle; other dpl-torch modules pass it to native code. */
    readonly handle: NativeDeviceTensor,
  ) {}

  /** Wraps a native handle made by dpl-torch (perceptualLoss's device gradient). Not API. */
  static fromHandle(handle: NativeDeviceTensor): DeviceTensor {
    return new DeviceTensor(handle);
  }

  /** [N, C, H, W]; still readable after dispose(). */
  get shape(): number[] {
    return this.handle.shape;
  }
  /** 'cpu' or 'cuda:N' (the index is always given); still readable after dispose(). */
  get device(): string {
    return this.handle.device;
  }
  get disposed(): boolean {
    return this.handle.disposed;
  }

  /** A copy on the host (through pinned memory from CUDA); ERR_DPL_DISPOSED once disposed. */
  async toHost(): Promise<FloatTensor> {
    return this.handle.toHost();
  }

  /**
   * Frees the tensor now: its memory goes back to LibTorch's allocator (on CUDA, its
   * cache, which later tensors reuse) as soon as no queued call uses it. Garbage
   * collection also frees it, but does not see device memory and may come late:
   * dispose every DeviceTensor a loop makes. Later use is ERR_DPL_DISPOSED.
   */
  dispose(): void {
    this.handle.dispose();
  }
}

/**
 * Copies a float32 tensor with 4 dimensions (NCHW) to `device` ('cpu', 'cuda',
 * 'cuda:N'; the network's, to use it there) and keeps it there until dispose().
 * From the host to CUDA the copy goes through pinned memory. Errors: ERR_DPL_ARG,
 * ERR_DPL_DTYPE, ERR_DPL_SHAPE as for any FloatTensor; ERR_DPL_DEVICE for a device
 * this build or machine does not have. NaN is kept; the loss path refuses it
 * (ERR_DPL_NAN) when the tensor is used, checking each DeviceTensor once.
 */
export async function toDevice(tensor: FloatTensor, device: string): Promise<DeviceTensor> {
  checkFloatTensor(tensor, 'tensor', 4);
  return DeviceTensor.fromHandle(await native().toDevice(tensor, device));
}

/** An image batch for the native loss path: a DeviceTensor's handle, or the FloatTensor checked as `what`. */
export function imageArg(x: FloatTensor | DeviceTensor, what: string): FloatTensor | NativeDeviceTensor {
  if (x instanceof DeviceTensor) return x.handle;
  checkFloatTensor(x, what, 4);
  return x;
}
