// The native road-delineation U-Net and its Adam trainer, behind a checked
// TypeScript API (spec: delineation.md). One step = K refinement iterations of
// the U-Net with shared weights, the iteration-weighted BCE plus mu times the
// iteration-weighted feature MSE at one layer of a frozen loss network,
// backward through every iteration, Adam update.
import { dplError } from '../errors.js';
import { z } from 'zod';
import { Device, LossNetwork } from '../loss-network.js';
import { native, type NativeDelineationTrainer, type GradientReport } from '../native.js';
import { checkFloatTensor, type FloatTensor } from '../tensor.js';
import { parseOptions } from '../validate.js';

const TrainerOptions = z.object({
  /** The loss network layer (child index) whose features are compared (ignored without a loss network). */
  layer: z.number().int().nonnegative().default(0),
  /** Refinement iterations K, for training and evaluation (the spec: 3). */
  iterations: z.number().int().min(1).default(3),
  /** mu, the weight of the feature term (the spec: 0.01; ignored without a loss network). */
  featureWeight: z.number().nonnegative().default(0.01),
  lr: z.number().positive().default(1e-3),
  /** Seeds the U-Net's initialisation (torch::manual_seed on the tensor worker). */
  seed: z.number().int().nonnegative().default(0),
  /** Device for the pixel baseline (with a loss network, its device is used). */
  device: Device.default('cpu'),
});
export type DelineationTrainerOptions = z.input<typeof TrainerOptions>;

export interface DelineationEvaluation {
  /** Road probability of the last iteration, [N,1,H,W], the input's own size. */
  probabilities: FloatTensor;
  /** Per-image BCE of the last iteration against the masks, when masks were given. */
  bce?: number[];
}

export class DelineationTrainer {
  private constructor(
    private readonly handle: NativeDelineationTrainer,
    readonly lossNetwork: LossNetwork | null,
  ) {}

  /**
   * Builds a seeded U-Net (64,546 parameters) on the loss network's device. The
   * loss network must be loaded with normalization 'imagenet' (the spec feeds it
   * the predicted mask repeated to 3 channels, ImageNet-normalised). With `null`
   * instead of a loss network it trains on the BCE alone (the 'pixel' baseline),
   * on `options.device`.
   */
  static async create(lossNetwork: LossNetwork | null, options: DelineationTrainerOptions = {}): Promise<DelineationTrainer> {
    if (lossNetwork !== null && !(lossNetwork instanceof LossNetwork)) {
      throw dplError('ERR_DPL_ARG', 'lossNetwork must be a LossNetwork (LossNetwork.load), or null for the pixel baseline');
    }
    if (lossNetwork && lossNetwork.normalization !== 'imagenet') {
      throw dplError(
        'ERR_DPL_ARG',
        `delineation feeds the loss network ImageNet-normalised masks; load ${lossNetwork.architecture} with normalization 'imagenet' (it has '${lossNetwork.normalization}')`,
      );
    }
    const o = parseOptions(TrainerOptions, options, 'DelineationTrainer options');
    const handle = await native().createDelineationTrainer(lossNetwork?.handle ?? null, o);
    return new DelineationTrainer(handle, lossNetwork);
  }

  get parameterCount(): number {
    return this.handle.parameterCount;
  }
  get iterations(): number {
    return this.handle.iterations;
  }

  /** One training step on images [N,3,S,S] and masks [N,1,S,S] in [0,1], S a multiple of 16; resolves to the loss. */
  async step(images: FloatTensor, masks: FloatTensor): Promise<number> {
    checkFloatTensor(images, 'images', 4);
    checkFloatTensor(masks, 'masks', 4);
    return this.handle.step(images, masks);
  }

  /**
   * Eval mode, K iterations on whole images of any size of at least 16x16
   * (reflect-padded at the bottom and right to a multiple of 16, the output
   * cropped back): the last iteration's probabilities, and with masks the
   * per-image BCE.
   */
  async evaluate(images: FloatTensor, masks?: FloatTensor): Promise<DelineationEvaluation> {
    checkFloatTensor(images, 'images', 4);
    if (masks !== undefined) checkFloatTensor(masks, 'masks', 4);
    return this.handle.evaluate(images, masks);
  }

  /**
   * Diagnostics of one eval-mode pass (no update): the first iteration's skip
   * tensors as each block made them and after the whole pass (equal unless an
   * activation ran in place), and the norm of the gradient that the last
   * iteration's BCE sends back to the first iteration's prior.
   */
  async inspect(
    images: FloatTensor,
    masks: FloatTensor,
  ): Promise<{ skipsMade: FloatTensor[]; skipsAfter: FloatTensor[]; priorGradNorm: number }> {
    checkFloatTensor(images, 'images', 4);
    checkFloatTensor(masks, 'masks', 4);
    return this.handle.inspect(images, masks);
  }

  /** Writes the U-Net (and with `withOptimizer` Adam's state) to one file. */
  async save(path: string, withOptimizer = true): Promise<void> {
    return this.handle.save(path, withOptimizer);
  }

  /** Restores from a file written by save(); resolves true if it held Adam's state too. */
  async load(path: string): Promise<boolean> {
    return this.handle.load(path);
  }

  /** Parameters and BatchNorm buffers by their PyTorch names (down1.conv.weight, ..., up1.bn.running_var). */
  async state(): Promise<Record<string, FloatTensor>> {
    return this.handle.state();
  }

  /** After a step: how many parameter tensors of the trained model and of the loss network (none) received a gradient. */
  async gradientReport(): Promise<GradientReport> {
    return this.handle.gradientReport();
  }

  dispose(): void {
    this.handle.dispose();
  }
}
