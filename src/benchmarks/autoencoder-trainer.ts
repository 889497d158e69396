// The native autoencoder and its Adam trainer, behind a checked TypeScript API.
// Images cross as 8-bit NCHW batches and become [0,1] floats (reflection-padded
// to the model's side) on the native side, so datasets stay bytes in memory.
import { dplError } from '../errors.js';
import { z } from 'zod';
import { Device, LossNetwork } from '../loss-network.js';
import { native, type NativeAutoencoderTrainer, type GradientReport } from '../native.js';
import { checkByteBatch, type ByteBatch, type FloatTensor } from '../tensor.js';
import { parseOptions } from '../validate.js';

const TrainerOptions = z.object({
  /** The model's input side: 64 + 16k (64 for SVHN padded, 96 for STL-10). */
  side: z
    .number()
    .int()
    .min(64)
    .refine((s) => (s - 64) % 16 === 0, 'the side must be 64 + 16k')
    .default(64),
  /** Reflection padding added to every side of the stored images (16 for SVHN's 32x32). */
  pad: z.number().int().nonnegative().default(0),
  codeSize: z.number().int().positive().default(64),
  /** The loss network layer (child index) compared (ignored without a loss network). */
  layer: z.number().int().nonnegative().default(0),
  /** Device for the pixel-loss baseline (with a loss network, its device is used). */
  device: Device.default('cpu'),
  /** Seeds the initialisation (torch::manual_seed on the tensor worker). */
  seed: z.number().int().nonnegative().default(0),
  lr: z.number().positive().default(1e-3),
});
export type AutoencoderTrainerOptions = z.input<typeof TrainerOptions>;

export class AutoencoderTrainer {
  private constructor(
    private readonly handle: NativeAutoencoderTrainer,
    readonly lossNetwork: LossNetwork | null,
    readonly side: number,
    readonly pad: number,
  ) {}

  /**
   * A seeded autoencoder on the loss network's device, trained on the MSE of
   * that network's features at `layer` (the network should take raw [0,1]
   * images: normalization 'none'). With `null` it trains on the pixel MSE (the
   * baseline), on `options.device`.
   */
  static async create(lossNetwork: LossNetwork | null, options: AutoencoderTrainerOptions): Promise<AutoencoderTrainer> {
    if (lossNetwork !== null && !(lossNetwork instanceof LossNetwork)) {
      throw dplError('ERR_DPL_ARG', 'lossNetwork must be a LossNetwork (LossNetwork.load), or null for the pixel-loss baseline');
    }
    const o = parseOptions(TrainerOptions, options, 'AutoencoderTrainer options');
    const handle = await native().createAutoencoderTrainer(lossNetwork?.handle ?? null, o);
    return new AutoencoderTrainer(handle, lossNetwork, o.side, o.pad);
  }

  get parameterCount(): number {
    return this.handle.parameterCount;
  }
  /** The side of the images it takes: side - 2 pad. */
  get storedSide(): number {
    return this.side - 2 * this.pad;
  }

  /** One Adam step (train mode) on 8-bit images [N, 3, storedSide, storedSide]; resolves to the loss. */
  async step(images: ByteBatch): Promise<number> {
    checkByteBatch(images, 'images');
    return this.handle.step(images);
  }

  /**
   * The loss of each image in eval mode without gradients (what validation
   * averages); with `images` also the model's [0,1] input and its reconstruction.
   */
  async evaluate(
    images: ByteBatch,
    options: { images?: boolean } = {},
  ): Promise<{ losses: Float64Array; input?: FloatTensor; output?: FloatTensor }> {
    checkByteBatch(images, 'images');
    return this.handle.evaluate(images, options.images ?? false);
  }

  /** The codes [N, codeSize] of the images, in eval mode without gradients. */
  async encode(images: ByteBatch): Promise<FloatTensor> {
    checkByteBatch(images, 'images');
    return this.handle.encode(images);
  }

  /** Writes the model (and with `withOptimizer` Adam's state) to one file. */
  async save(path: string, withOptimizer = true): Promise<void> {
    return this.handle.save(path, withOptimizer);
  }

  /** Restores from a file written by save(); resolves true if it held Adam's state too. */
  async load(path: string): Promise<boolean> {
    return this.handle.load(path);
  }

  /** Every parameter and buffer by PyTorch name ('encoder.0.weight', ...), as CPU copies. */
  async state(): Promise<Record<string, FloatTensor>> {
    return this.handle.state();
  }

  /** Sets every parameter and buffer from state() of this or an equal model (or a Python state dict). */
  async setState(state: Record<string, FloatTensor>): Promise<void> {
    return this.handle.setState(state);
  }

  /** After a step: how many parameter tensors of the trained model and of the loss network (none) received a gradient. */
  async gradientReport(): Promise<GradientReport> {
    return this.handle.gradientReport();
  }

  dispose(): void {
    this.handle.dispose();
  }
}
