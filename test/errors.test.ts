// Bad input never crashes the process: each case is a JS Error that says what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LossNetwork } from '../src/loss-network.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { native } from '../src/native.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages } from './helpers/reference.js';

let net: LossNetwork;
const img = randomImages([1, 3, 32, 32]);
beforeAll(async () => {
  net = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS });
});
afterAll(() => net.dispose());

describe('features', () => {
  it('rejects a wrong shape', async () => {
    await expect(net.features({ data: new Float32Array(3 * 32 * 32), shape: [3, 32, 32] }, [1])).rejects.toThrow(/4 dimensions/);
    await expect(net.features({ data: new Float32Array(4 * 32 * 32), shape: [1, 4, 32, 32] }, [1])).rejects.toThrow(/\[N, 3, H, W\]/);
    await expect(net.features({ data: new Float32Array(10), shape: [1, 3, 32, 32] }, [1])).rejects.toThrow(/10 elements/);
  });
  it('rejects a wrong dtype', async () => {
    const bad = { data: new Float64Array(3 * 32 * 32), shape: [1, 3, 32, 32] } as unknown as typeof img;
    await expect(net.features(bad, [1])).rejects.toThrow(/Float32Array/);
    // straight into native code, past the TS check
    await expect(async () => net.handle.features(bad, [1])).rejects.toThrow(/Float32Array/);
  });
  it('rejects NaN', async () => {
    const nan = randomImages([1, 3, 32, 32]);
    nan.data[5] = NaN;
    await expect(net.features(nan, [1])).rejects.toThrow(/NaN/);
  });
  it('rejects a layer past the end, naming the valid range', async () => {
    await expect(net.features(img, [13])).rejects.toThrow(/layer 13 is past the end.*13 children.*0\.\.12/);
    await expect(net.features(img, [])).rejects.toThrow(/at least one layer/);
  });
  it('says a larger image is needed when a layer shrinks it to nothing', async () => {
    await expect(net.features(randomImages([1, 3, 8, 8]), [12])).rejects.toThrow(/larger image/);
  });
  it('rejects mismatched loss inputs and distances', async () => {
    await expect(perceptualLoss(img, randomImages([1, 3, 16, 16]), { network: net, layers: [1] })).rejects.toThrow(/same shape/);
    await expect(perceptualLoss(img, img, { network: net, layers: [1], distance: 'l3' as 'l1' })).rejects.toThrow(/distance/);
    await expect(perceptualLoss(img, img, { network: {} as LossNetwork, layers: [1] })).rejects.toThrow(/network.*LossNetwork/);
  });
});

describe('loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpl-bad-'));
  it('refuses an unknown architecture, listing known ones', async () => {
    await expect(LossNetwork.load('vgg17', { modelsDir: TEST_MODELS })).rejects.toThrow(/unknown architecture 'vgg17'.*vgg16/);
  });
  it('names the export command for a missing network', async () => {
    await expect(LossNetwork.load('resnet152', { modelsDir: TEST_MODELS })).rejects.toThrow(/export-networks --arch resnet152/);
  });
  it('refuses a corrupt .pt (checksum) and a .pt LibTorch cannot read', async () => {
    const manifest = JSON.parse(readFileSync(join(TEST_MODELS, 'manifest.json'), 'utf8'));
    manifest.networks = { alexnet: manifest.networks.alexnet };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'alexnet.pt'), 'not a torchscript file');
    await expect(LossNetwork.load(join(dir, 'alexnet.pt'))).rejects.toThrow(/sha256.*re-export/);
    // Straight to native: LibTorch's own refusal becomes an Error.
    await expect(native().loadLossNetwork(join(dir, 'alexnet.pt'), 'cpu', 'none')).rejects.toThrow(/not a TorchScript module/);
    await expect(native().loadLossNetwork(join(dir, 'missing.pt'), 'cpu', 'none')).rejects.toThrow(/cannot be read/);
  });
  it('refuses an export made by a newer torch than the linked LibTorch', async () => {
    copyFileSync(join(TEST_MODELS, 'alexnet.pt'), join(dir, 'alexnet.pt'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.networks.alexnet.sha256 = JSON.parse(readFileSync(join(TEST_MODELS, 'manifest.json'), 'utf8')).networks.alexnet.sha256;
    manifest.networks.alexnet.torch = '9.1.0';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(LossNetwork.load(join(dir, 'alexnet.pt'))).rejects.toThrow(/exported by torch 9\.1\.0, newer than the linked LibTorch/);
  });
  it('refuses random weights where ImageNet weights were asked for', async () => {
    await expect(LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, weights: 'imagenet' })).rejects.toThrow(
      /random weights.*--weights imagenet/,
    );
  });
  it('refuses a bad device or option, naming it', async () => {
    await expect(LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, device: 'tpu' })).rejects.toThrow(/device/);
    await expect(LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, normalization: 'zscore' as 'none' })).rejects.toThrow(
      /normalization/,
    );
    if (!native().info().cudaAvailable) {
      await expect(LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, device: 'cuda' })).rejects.toThrow(/no usable CUDA/);
    }
  });
});

describe('lifetime', () => {
  it('a disposed network is a clear error, and pending work on it still completes', async () => {
    const n = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS });
    const pending = n.features(img, [3]);
    n.dispose();
    expect((await pending)[0]!.shape).toEqual([1, 128, 7, 7]);
    await expect(n.features(img, [3])).rejects.toThrow(/disposed/);
    expect(() => n.size).toThrow(/disposed/);
  });
  it('native classes cannot be made from JS directly', () => {
    const Ctor = native().LossNetwork as new () => unknown;
    expect(() => new Ctor()).toThrow(/loadLossNetwork/);
  });
  it('the process lives on after all of the above', async () => {
    expect((await net.features(img, [1]))[0]!.shape).toEqual([1, 64, 7, 7]);
  });
});
