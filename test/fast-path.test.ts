// The fast path (native/fast_path.h) gives the plain path's features and gradients,
// and the bench's Python reference step does the same work as the native step.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CPU_CHANNELS_LAST, fastOptions, LossNetwork } from '../src/loss-network.js';
import { native } from '../src/native.js';
import { STUDY_NETWORK_NAMES, STUDY_NETWORKS } from '../src/networks.js';
import { perceptualLoss } from '../src/perceptual-loss.js';
import { PythonStep } from '../bench/python.js';
import { TEST_MODELS } from './helpers/models.js';
import { randomImages, referencePython, relativeError } from './helpers/reference.js';

const opened: LossNetwork[] = [];
afterAll(() => opened.forEach((n) => n.dispose()));

async function open(arch: string, fast: Parameters<typeof LossNetwork.load>[1]['fast'] = false): Promise<LossNetwork> {
  const net = await LossNetwork.load(arch, { modelsDir: TEST_MODELS, fast });
  opened.push(net);
  return net;
}

const a = randomImages([2, 3, 64, 64], 11);
const b = randomImages([2, 3, 64, 64], 12);

// The networks with BatchNorm (folded by the fast path), and one without.
describe.each(['vgg16_bn', 'resnet18', 'densenet121', 'efficientnet_b0', 'inception_v3', 'alexnet'])('%s', (arch) => {
  const layers = [...STUDY_NETWORKS[arch]!.layers];

  it.each([
    ['fast: true (frozen, channels-last where 1x1 convolutions dominate)', true],
    ['frozen, always channels-last', { channelsLast: true }],
  ] as const)('%s: features and gradient equal the plain path', async (_name, fast) => {
    const plain = await open(arch);
    const quick = await open(arch, fast);
    const [fp, ff] = [await plain.features(a, layers), await quick.features(a, layers)];
    ff.forEach((f, i) => {
      expect(f.shape).toEqual(fp[i]!.shape);
      expect(relativeError(f.data, fp[i]!.data)).toBeLessThan(1e-5);
    });
    // Twice: the second call runs the segments the first one built and froze.
    for (let k = 0; k < 2; k++) {
      const lp = await perceptualLoss(a, b, { network: plain, layers, grad: true });
      const lf = await perceptualLoss(a, b, { network: quick, layers, grad: true });
      expect(Math.abs(lf.loss - lp.loss) / lp.loss).toBeLessThan(1e-5);
      expect(relativeError(lf.grad!.data, lp.grad!.data)).toBeLessThan(1e-4);
    }
  });
});

describe('fast path', () => {
  it('serves other layer sets on the same network (one frozen set per layer list)', async () => {
    const plain = await open('resnet18');
    const quick = await open('resnet18', true);
    for (const layers of [[7], [2, 5], [4, 4, 0]]) {
      const [fp, ff] = [await plain.features(a, layers), await quick.features(a, layers)];
      ff.forEach((f, i) => expect(relativeError(f.data, fp[i]!.data)).toBeLessThan(1e-5));
    }
  });

  it("'auto' takes the memory format measured on CPU for each study network, and leaves others to the native rule", () => {
    expect(Object.keys(CPU_CHANNELS_LAST).sort()).toEqual([...STUDY_NETWORK_NAMES].sort());
    expect(fastOptions(true, 'resnet50', 'cpu')).toEqual({ channelsLast: false });
    expect(fastOptions({ freeze: true, channelsLast: 'auto' }, 'googlenet', 'cpu')).toEqual({ freeze: true, channelsLast: true });
    expect(fastOptions({ channelsLast: true }, 'resnet50', 'cpu')).toEqual({ channelsLast: true }); // an explicit choice stands
    expect(fastOptions(true, 'resnet50', 'cuda:0')).toEqual({}); // measured on CPU only
    expect(fastOptions(true, 'mobilenet_v2', 'cpu')).toEqual({});
  });

  it('rejects unknown options, naming the field', async () => {
    await expect(LossNetwork.load('resnet18', { modelsDir: TEST_MODELS, fast: { fold: true } as never })).rejects.toThrow(/fast/);
  });
});

describe('bench/reference_step.py', () => {
  const python = referencePython();
  it.skipIf(!python)('computes the same loss and gradient as the native step (equal work)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-bench-test-'));
    const py = new PythonStep(python!);
    try {
      const net = await open('resnet18');
      const layers = [2, 7];
      writeFileSync(join(dir, 'a.f32'), a.data);
      writeFileSync(join(dir, 'b.f32'), b.data);
      const loaded = await py.request<{ threads: number }>({
        op: 'load', kind: 'loss', arch: 'resnet18', pt: net.path, layers, normalization: 'imagenet',
        shape: a.shape, input: join(dir, 'a.f32'), target: join(dir, 'b.f32'), device: 'cpu', amp: 'none',
      });
      expect(loaded.threads).toBeGreaterThan(0);
      const timed = await py.request<{ seconds: number[]; loss: number }>({ op: 'time', steps: 2 });
      expect(timed.seconds).toHaveLength(2);
      const check = await py.request<{ loss: number; shape: number[] }>({ op: 'check', out: dir });
      expect(check.shape).toEqual(a.shape);
      const buf = readFileSync(join(dir, 'grad.f32'));
      const pyGrad = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

      const step = await native().benchLossStep(net.handle, a, b, layers, { steps: 1, amp: 'none' });
      expect(step.loss).toBeGreaterThan(0);
      expect(Math.abs(check.loss - step.loss) / step.loss).toBeLessThan(1e-5);
      expect(Math.abs(timed.loss - step.loss) / step.loss).toBeLessThan(1e-5);
      expect(relativeError(pyGrad, step.grad.data)).toBeLessThan(1e-4);
      // And the bench step is the public API's step.
      const api = await perceptualLoss(a, b, { network: net, layers, grad: true });
      expect(Math.abs(api.loss - step.loss) / step.loss).toBeLessThan(1e-6);
      expect(relativeError(api.grad!.data, step.grad.data)).toBeLessThan(1e-5);
    } finally {
      await py.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
