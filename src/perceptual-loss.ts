// Deep perceptual loss between two image batches, and its gradient.
import { z } from 'zod';
import { DeviceTensor, imageArg } from './device-tensor.js';
import type { Layer } from './layer-names.js';
import { LossNetwork } from './loss-network.js';
import type { NativeDeviceTensor } from './native.js';
import type { FloatTensor } from './tensor.js';
import { parseOptions } from './validate.js';

const Options = z.object({
  network: z.custom<LossNetwork>((v) => v instanceof LossNetwork, { message: 'must be a LossNetwork (LossNetwork.load)' }),
  /** Indices or names ('relu2_2', 'features.8'): LossNetwork.layerNames(). */
  layers: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])).min(1),
  distance: z.enum(['mse', 'l1']).default('mse'),
  /** Also return d loss / d a. */
  grad: z.boolean().default(false),
  /**
   * Where the gradient goes: 'host' (a FloatTensor, the default) or 'device' (a
   * DeviceTensor on the network's device, not copied out; dispose it when done).
   */
  gradOutput: z.enum(['host', 'device']).default('host'),
});
export type PerceptualLossOptions = z.input<typeof Options>;

export interface PerceptualLossResult<G = FloatTensor> {
  /** Sum over layers of the mean squared (or absolute) feature difference. */
  loss: number;
  /** d loss / d a, shaped like a (when asked for): a DeviceTensor with gradOutput 'device'. */
  grad?: G;
}

type Images = FloatTensor | DeviceTensor;

/**
 * The perceptual loss between [0,1] image batches a and b ([N, 3, H, W]): FloatTensors,
 * or DeviceTensors on the network's device (toDevice), which stay where they are.
 */
export function perceptualLoss(
  a: Images,
  b: Images,
  options: PerceptualLossOptions & { gradOutput: 'device' },
): Promise<PerceptualLossResult<DeviceTensor>>;
export function perceptualLoss(
  a: Images,
  b: Images,
  options: PerceptualLossOptions & { gradOutput?: 'host' },
): Promise<PerceptualLossResult>;
export function perceptualLoss(
  a: Images,
  b: Images,
  options: PerceptualLossOptions,
): Promise<PerceptualLossResult<FloatTensor | DeviceTensor>>;
export async function perceptualLoss(
  a: Images,
  b: Images,
  options: PerceptualLossOptions,
): Promise<PerceptualLossResult<FloatTensor | DeviceTensor>> {
  const o = parseOptions(Options, options, 'perceptualLoss options');
  const onDevice = o.gradOutput === 'device';
  const r = await o.network.handle.perceptualLoss(
    imageArg(a, 'a'),
    imageArg(b, 'b'),
    o.network.resolveLayers(o.layers as Layer[]),
    o.distance,
    o.grad,
    onDevice,
  );
  if (onDevice && r.grad) return { loss: r.loss, grad: DeviceTensor.fromHandle(r.grad as NativeDeviceTensor) };
  return r as PerceptualLossResult;
}
