// Every failure reaches the caller as a TypeError, RangeError or Error with a stable
// `code` (src/errors.ts, README "Errors"): from the TypeScript checks, from native
// checks thrown synchronously, and from rejections made on the tensor worker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderTrainer } from '../src/benchmarks/autoencoder-trainer.js';
import { SuperResolutionTrainer } from '../src/benchmarks/super-resolution-trainer.js';
import { ERROR_CODES, isDplError, type DplErrorCode } from '../src/errors.js';
import { resize } from '../src/image-ops.js';
import { LossNetwork } from '../src/loss-network.js';
import { native } from '../src/native.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { setMaxPendingJobs, setThreads } from '../src/runtime.js';
import { PerceptualSimilarity } from '../src/similarity.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

/** Runs `f` (sync or async) and returns what it threw or rejected with. */
async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

async function expectCode(f: () => unknown, code: DplErrorCode, message?: RegExp): Promise<void> {
  const e = await caught(f);
  expect(isDplError(e, code), `${(e as Error).constructor.name} ${(e as { code?: string }).code}: ${(e as Error).message}`).toBe(true);
  expect(e).toBeInstanceOf(ERROR_CODES[code]);
  expect((e as Error).constructor).toBe(ERROR_CODES[code]); // the exact class, not just Error
  if (message) expect((e as Error).message).toMatch(message);
}

let net: LossNetwork;
const img = randomImages([1, 3, 32, 32]);
const dir = mkdtempSync(join(tmpdir(), 'dpl-codes-'));
beforeAll(async () => {
  net = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS });
});
afterAll(() => {
  net.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('error codes', () => {
  it('the native table of codes and classes is the TypeScript one', () => {
    const ts = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, cls]) => [code, cls.name]));
    expect(native().internal.errorClasses).toEqual(ts);
  });

  it('ERR_DPL_ARG (TypeError): options, from zod and from native checks', async () => {
    await expectCode(() => perceptualLoss(img, img, { network: net, layers: [1], distance: 'l3' as 'l1' }), 'ERR_DPL_ARG', /distance/);
    await expectCode(() => LossNetwork.load('vgg17', { modelsDir: TEST_MODELS }), 'ERR_DPL_ARG', /unknown architecture/);
    await expectCode(() => setThreads(0), 'ERR_DPL_ARG', /positive integer/);
    await expectCode(() => new PerceptualSimilarity({ network: net } as never), 'ERR_DPL_ARG', /layers/);
    // Native, synchronous: the class cannot be made from JS; a bad distance string.
    await expectCode(() => new (native().LossNetwork as new () => unknown)(), 'ERR_DPL_ARG', /loadLossNetwork/);
    await expectCode(() => net.handle.perceptualLoss(img, img, [1], 'l3' as 'l1', false), 'ERR_DPL_ARG', /distance/);
    await expectCode(() => native().loadLossNetwork(net.path, 'cpu', 'zscore'), 'ERR_DPL_ARG', /normalization/);
  });

  it('ERR_DPL_DTYPE (TypeError): a typed array of another element type', async () => {
    const f64 = { data: new Float64Array(3 * 32 * 32), shape: [1, 3, 32, 32] } as unknown as typeof img;
    await expectCode(() => net.features(f64, [1]), 'ERR_DPL_DTYPE', /Float32Array/);
    await expectCode(() => net.handle.features(f64, [1]), 'ERR_DPL_DTYPE', /Float32Array/); // native, synchronous
  });

  it('ERR_DPL_SHAPE (RangeError): wrong rank, channels, sizes, and images too small for a layer', async () => {
    await expectCode(() => net.features({ data: new Float32Array(3 * 32 * 32), shape: [3, 32, 32] }, [1]), 'ERR_DPL_SHAPE', /4 dimensions/);
    await expectCode(
      () => net.handle.features({ data: new Float32Array(4 * 32 * 32), shape: [1, 4, 32, 32] }, [1]),
      'ERR_DPL_SHAPE',
      /\[N, 3, H, W\]/,
    );
    await expectCode(() => perceptualLoss(img, randomImages([1, 3, 16, 16]), { network: net, layers: [1] }), 'ERR_DPL_SHAPE', /same shape/);
    // On the worker: the trunk shrinks an 8x8 image to nothing.
    await expectCode(() => net.features(randomImages([1, 3, 8, 8]), [12]), 'ERR_DPL_SHAPE', /larger image/);
  });

  it('ERR_DPL_LAYER (RangeError): past the end (native) and unknown names (TypeScript)', async () => {
    await expectCode(() => net.features(img, [13]), 'ERR_DPL_LAYER', /past the end/);
    await expectCode(() => net.features(img, ['relu9']), 'ERR_DPL_LAYER', /unknown layer 'relu9'.*relu5/);
    await expectCode(() => new PerceptualSimilarity({ network: net, layers: [20] }), 'ERR_DPL_LAYER', /run past the end/);
    await expectCode(() => new PerceptualSimilarity({ network: net, layers: ['relu9'] }), 'ERR_DPL_LAYER', /relu9/);
  });

  it('ERR_DPL_NAN (RangeError): NaN in the input, found on the worker', async () => {
    const nan = randomImages([1, 3, 32, 32]);
    nan.data[7] = NaN;
    await expectCode(() => net.features(nan, [1]), 'ERR_DPL_NAN', /NaN/);
    await expectCode(() => resize(nan, [8, 8]), 'ERR_DPL_NAN', /NaN/);
  });

  it('ERR_DPL_DISPOSED (Error): methods and accessors of a disposed network', async () => {
    const n = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS });
    n.dispose();
    await expectCode(() => n.features(img, [1]), 'ERR_DPL_DISPOSED', /disposed/);
    await expectCode(() => n.size, 'ERR_DPL_DISPOSED');
  });

  it('ERR_DPL_DEVICE (Error): a device this machine does not have', async () => {
    const cuda = native().info().cudaDevices;
    await expectCode(() => LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, device: `cuda:${cuda}` }), 'ERR_DPL_DEVICE');
    await expectCode(() => native().loadLossNetwork(net.path, 'cuda:x', 'none'), 'ERR_DPL_ARG', /unknown device/);
  });

  it('ERR_DPL_FILE (Error): missing, unreadable and non-TorchScript files', async () => {
    writeFileSync(join(dir, 'junk.pt'), 'not a torchscript file');
    await expectCode(() => native().loadLossNetwork(join(dir, 'junk.pt'), 'cpu', 'none'), 'ERR_DPL_FILE', /not a TorchScript module/);
    await expectCode(() => native().loadLossNetwork(join(dir, 'missing.pt'), 'cpu', 'none'), 'ERR_DPL_FILE', /cannot be read/);
    await expectCode(() => LossNetwork.load('resnet152', { modelsDir: TEST_MODELS }), 'ERR_DPL_FILE', /export-networks/);
  });

  it('trainers: checkpoints that are missing or of another model (ERR_DPL_FILE), batches of the wrong shape (ERR_DPL_SHAPE)', async () => {
    const x4 = await SuperResolutionTrainer.create(null, { factor: 4 });
    const x8 = await SuperResolutionTrainer.create(null, { factor: 8 });
    const ae = await AutoencoderTrainer.create(null, { side: 64 });
    try {
      await x4.save(join(dir, 'x4.pt'));
      await expectCode(() => x8.load(join(dir, 'x4.pt')), 'ERR_DPL_FILE', /factor 4/);
      await expectCode(
        () => ae.load(join(dir, 'x4.pt')),
        'ERR_DPL_FILE',
        /not a checkpoint for this autoencoder \(it is for the super-resolution network\)/,
      );
      await expectCode(() => x4.load(join(dir, 'missing.pt')), 'ERR_DPL_FILE', /cannot read checkpoint/);
      await expectCode(() => x4.step(randomImages([2, 3, 8, 8]), randomImages([2, 3, 30, 30])), 'ERR_DPL_SHAPE');
    } finally {
      [x4, x8, ae].forEach((t) => t.dispose());
    }
  });

  it('ERR_DPL_BUSY (Error): a call past the queue bound', async () => {
    const before = setMaxPendingJobs(1);
    try {
      const first = net.features(img, [1]);
      await expectCode(() => net.features(img, [1]), 'ERR_DPL_BUSY', /setMaxPendingJobs/);
      await first;
    } finally {
      setMaxPendingJobs(before);
    }
  });

  it('ERR_DPL_TORCH (Error): a LibTorch failure inside the work keeps its message', async () => {
    // 3 x 2^48 floats: more than any address space, so the allocation fails on every machine.
    await expectCode(() => native().resizeImages(img, 2 ** 24, 2 ** 24, 'bilinear', false), 'ERR_DPL_TORCH', /allocate/);
  });
});
