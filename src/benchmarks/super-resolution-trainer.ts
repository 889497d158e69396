// The native super-resolution network and its Adam trainer, behind a checked
// TypeScript API. One step = forward, perceptual loss at one layer of a frozen
// loss network, backward into the SR network only, Adam update.
import { z } from 'zod';
import { dplError } from '../errors.js';
import { Device, LossNetwork } from '../loss-network.js';
import { native, type NativeSrTrainer, type GradientReport } from '../native.js';
import { checkFloatTensor, type FloatTensor } from '../tensor.js';
import { parseOptions } from '../validate.js';

const TrainerOptions = z.object({
  factor: z.union([z.literal(4), z.literal(8)]).default(4),
  /** The loss network layer (child index or name: 'relu2_2') whose features are compared (ignored without a loss network). */
  layer: z.union([z.number().int().nonnegative(), z.string().min(1)]).default(0),
  /** Device for the pixel-loss baseline (with a loss network, its device is used). */
  device: Device.default('cpu'),
  /** Seeds the network's initialisation (torch::manual_seed on the tensor worker). */
  seed: z.number().int().nonnegative().default(0),
  lr: z.number().positive().default(1e-3),
  /** Weight of an extra pixel MSE term (0: off, as the spec). */
  pixelWeight: z.number().nonnegative().default(0),
  /** Weight of an extra total-variation term (0: off, as the spec). */
  tvWeight: z.number().nonnegative().default(0),
});
export type SuperResolutionTrainerOptions = z.input<typeof TrainerOptions>;

export class SuperResolutionTrainer {
  private constructor(
    private readonly handle: NativeSrTrainer,
    readonly lossNetwork: LossNetwork | null,
  ) {}

  /**
   * Builds a seeded SR network (x4: 401,865 parameters; x8: 438,921) on the loss
   * network's device. With `null` instead of a loss network it trains on the
   * pixel MSE alone (the pixel-loss baseline), on `options.device`.
   */
  static async create(lossNetwork: LossNetwork | null, options: SuperResolutionTrainerOptions): Promise<SuperResolutionTrainer> {
    if (lossNetwork !== null && !(lossNetwork instanceof LossNetwork)) {
      throw dplError('ERR_DPL_ARG', 'lossNetwork must be a LossNetwork (LossNetwork.load), or null for the pixel-loss baseline');
    }
    const o = parseOptions(TrainerOptions, options, 'SuperResolutionTrainer options');
    const layer = lossNetwork ? lossNetwork.resolveLayers([o.layer])[0]! : typeof o.layer === 'number' ? o.layer : 0;
    const handle = await native().createSuperResolutionTrainer(lossNetwork?.handle ?? null, { ...o, layer });
    return new SuperResolutionTrainer(handle, lossNetwork);
  }

  get parameterCount(): number {
    return this.handle.parameterCount;
  }
  get factor(): number {
    return this.handle.factor;
  }

  /** One training step on [0,1] batches lr [N,3,h,w] and hr [N,3,h*f,w*f]; resolves to the loss. */
  async step(lr: FloatTensor, hr: FloatTensor): Promise<number> {
    checkFloatTensor(lr, 'lr', 4);
    checkFloatTensor(hr, 'hr', 4);
    return this.handle.step(lr, hr);
  }

  /** The network's output in eval mode, and with hr (and a loss network) the per-image feature loss. */
  async evaluate(lr: FloatTensor, hr?: FloatTensor): Promise<{ output: FloatTensor; featureLoss?: number[] }> {
    checkFloatTensor(lr, 'lr', 4);
    if (hr !== undefined) checkFloatTensor(hr, 'hr', 4);
    return this.handle.evaluate(lr, hr);
  }

  /** Writes the network (and with `withOptimizer` Adam's state) to one file. */
  async save(path: string, withOptimizer = true): Promise<void> {
    return this.handle.save(path, withOptimizer);
  }

  /** Restores from a file written by save(); resolves true if it held Adam's state too. */
  async load(path: string): Promise<boolean> {
    return this.handle.load(path);
  }

  /** After a step: how many parameter tensors of the trained model and of the loss network (none) received a gradient. */
  async gradientReport(): Promise<GradientReport> {
    return this.handle.gradientReport();
  }

  dispose(): void {
    this.handle.dispose();
  }
}
