// The device a command or study runs on. 'auto' takes CUDA when the addon sees a
// CUDA device; 'cuda' and 'cuda:N' are checked here, before any work starts, so a
// study refuses up front instead of starting every run to fail each the same way.
import { z } from 'zod';
import { native } from './native.js';

/** 'auto', 'cpu', 'cuda' or 'cuda:N' (LossNetwork.load itself takes the last three). */
export const DeviceChoice = z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "use 'auto', 'cpu', 'cuda' or 'cuda:N'");

/** The concrete device for `device`, or an Error naming why CUDA is not usable here and the remedy. */
export function resolveDevice(device: string): string {
  const parsed = DeviceChoice.safeParse(device);
  if (!parsed.success) throw new Error(`device '${device}': use 'auto', 'cpu', 'cuda' or 'cuda:N'`);
  if (device === 'cpu') return 'cpu';
  const info = native().info();
  if (device === 'auto') return info.cudaAvailable ? 'cuda' : 'cpu';
  const index = Number(device.split(':')[1] ?? 0);
  const instead = "use device 'cpu', or 'auto' (CUDA when available)";
  if (!info.builtWithCuda) {
    throw new Error(
      `device '${device}': CUDA is not usable here: the addon was built for a CPU LibTorch (${info.torchVersion}). ` +
        `${instead}; for CUDA, install a CUDA LibTorch and its prebuilt or rebuild (README, "LibTorch with CUDA")`,
    );
  }
  if (!info.cudaAvailable) {
    throw new Error(
      `device '${device}': CUDA is not usable here: LibTorch ${info.torchVersion} has CUDA but sees no GPU (check nvidia-smi, the driver and CUDA_VISIBLE_DEVICES); ${instead}`,
    );
  }
  if (index >= info.cudaDevices) {
    throw new Error(
      `device '${device}': there are ${info.cudaDevices} CUDA device(s) here (cuda:0..cuda:${info.cudaDevices - 1}); ${instead}`,
    );
  }
  return device;
}
