// Deep perceptual loss between two image batches, and its gradient.
import { z } from 'zod';
import type { Layer } from './layer-names.js';
import { LossNetwork } from './loss-network.js';
import { checkFloatTensor, type FloatTensor } from './tensor.js';
import { parseOptions } from './validate.js';

const Options = z.object({
  network: z.custom<LossNetwork>((v) => v instanceof LossNetwork, { message: 'must be a LossNetwork (LossNetwork.load)' }),
  /** Indices or names ('relu2_2', 'features.8'): LossNetwork.layerNames(). */
  layers: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])).min(1),
  distance: z.enum(['mse', 'l1']).default('mse'),
  /** Also return d loss / d a. */
  grad: z.boolean().default(false),
});
export type PerceptualLossOptions = z.input<typeof Options>;

export interface PerceptualLossResult {
  /** Sum over layers of the mean squared (or absolute) feature difference. */
  loss: number;
  /** d loss / d a, shaped like a (when asked for). */
  grad?: FloatTensor;
}

/** The perceptual loss between [0,1] image batches a and b ([N, 3, H, W]). */
export async function perceptualLoss(a: FloatTensor, b: FloatTensor, options: PerceptualLossOptions): Promise<PerceptualLossResult> {
  const o = parseOptions(Options, options, 'perceptualLoss options');
  checkFloatTensor(a, 'a', 4);
  checkFloatTensor(b, 'b', 4);
  return o.network.handle.perceptualLoss(a, b, o.network.resolveLayers(o.layers as Layer[]), o.distance, o.grad);
}
