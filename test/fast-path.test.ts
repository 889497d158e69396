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
import { PerceptualSimilarity } from '../src/similarity.js';
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
    expect(fastOptions(true, 'alexnet', 'cpu')).toEqual({ channelsLast: true });
    expect(fastOptions({ freeze: true, channelsLast: 'auto' }, 'googlenet', 'cpu')).toEqual({ freeze: true, channelsLast: true });
    expect(fastOptions({ channelsLast: false }, 'alexnet', 'cpu')).toEqual({ channelsLast: false }); // an explicit choice stands
    expect(fastOptions(true, 'resnet50', 'cuda:0')).toEqual({}); // measured on CPU only
    expect(fastOptions(true, 'mobilenet_v2', 'cpu')).toEqual({});
  });

  it('is the default; fast: false runs the plain path', async () => {
    const byDefault = await LossNetwork.load('squeezenet1_1', { modelsDir: TEST_MODELS });
    opened.push(byDefault);
    const plain = await open('squeezenet1_1', false);
    await perceptualLoss(a, b, { network: byDefault, layers: [3], grad: true });
    await perceptualLoss(a, b, { network: plain, layers: [3], grad: true });
    expect((await native().internal.fastPathStats(byDefault.handle))?.sets).toBeGreaterThan(0);
    expect(await native().internal.fastPathStats(plain.handle)).toBeNull();
  });

  it('is off by default for architectures outside the study (not checked against the plain path)', async () => {
    const other = await LossNetwork.load('mobilenet_v2', { modelsDir: TEST_MODELS });
    opened.push(other);
    await other.features(a, [2]);
    expect(await native().internal.fastPathStats(other.handle)).toBeNull();
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
        op: 'load',
        kind: 'loss',
        arch: 'resnet18',
        pt: net.path,
        layers,
        normalization: 'imagenet',
        shape: a.shape,
        input: join(dir, 'a.f32'),
        target: join(dir, 'b.f32'),
        device: 'cpu',
        amp: 'none',
      });
      expect(loaded.threads).toBeGreaterThan(0);
      const timed = await py.request<{ seconds: number[]; loss: number }>({ op: 'time', steps: 2 });
      expect(timed.seconds).toHaveLength(2);
      const check = await py.request<{ loss: number; shape: number[] }>({ op: 'check', out: dir });
      expect(check.shape).toEqual(a.shape);
      const buf = readFileSync(join(dir, 'grad.f32'));
      const pyGrad = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

      const step = await native().internal.benchLossStep(net.handle, a, b, layers, { steps: 1, amp: 'none' });
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

describe('bench/reference_step.py similarity step', () => {
  const python = referencePython();
  it.skipIf(!python)('trains the same number of parameters as the native lin step and runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpl-bench-sim-'));
    const net = await open('alexnet');
    const layers = [1, 4];
    const sim = await PerceptualSimilarity.create({ network: net, layers, learned: true });
    const shape = [3, 3, 64, 64];
    const files = Object.fromEntries(
      ['ref', 'p0', 'p1'].map((k, i) => {
        writeFileSync(join(dir, `${k}.f32`), randomImages(shape, 20 + i).data);
        return [k, join(dir, `${k}.f32`)];
      }),
    );
    writeFileSync(join(dir, 'judge.f32'), new Float32Array([0, 0.5, 1]));
    const load = {
      op: 'load',
      kind: 'similarity',
      arch: 'alexnet',
      pt: net.path,
      layers,
      normalization: 'imagenet',
      shape,
      ...files,
      judge: join(dir, 'judge.f32'),
      device: 'cpu',
      amp: 'none',
    };
    const expected = (await sim.model()).parameterCount;
    expect(expected).toBe(64 + 192 + 1281);
    const py = new PythonStep(python!);
    const wrong = new PythonStep(python!);
    try {
      const loaded = await py.request<{ parameters: number }>({ ...load, expectParameters: expected });
      expect(loaded.parameters).toBe(expected);
      const timed = await py.request<{ seconds: number[]; loss: number }>({ op: 'time', steps: 2 });
      expect(timed.seconds).toHaveLength(2);
      expect(timed.loss).toBeGreaterThan(0); // a BCE against judges 0, 0.5 and 1
      expect(timed.loss).toBeLessThan(5);
      await expect(wrong.request({ ...load, expectParameters: expected + 1 })).rejects.toThrow(
        /SimStep has 1537 parameters, the native one 1538/,
      );
    } finally {
      await py.close();
      await wrong.close();
      sim.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
