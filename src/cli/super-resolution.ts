import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { superResolution, type SuperResolutionOptions } from '../benchmarks/super-resolution.js';
import { resolveDevice } from '../device.js';
import { checkLayers, int, type Command } from './command.js';
import { runOneFromCli } from './run-one.js';

export const superResolutionCommand: Command = {
  summary: 'train and evaluate one super-resolution model with a deep perceptual loss (x4 or x8)',
  usage:
    '--network ARCH --layer N --coco DIR --tests DIR [--factor 4|8] [--out DIR] [--epochs N] [--steps N] ' +
    '[--train-images N] [--val-images N] [--hr-size N] [--batch N] [--seed N] [--device auto|cpu|cuda] ' +
    '[--normalization none|imagenet] [--checkpoint-every N] [--test-images N] [--models DIR] [--download]',
  async run(args) {
    const { values: v } = parseArgs({
      args,
      strict: true,
      options: {
        network: { type: 'string' },
        layer: { type: 'string' },
        factor: { type: 'string', default: '4' },
        coco: { type: 'string' },
        tests: { type: 'string' },
        out: { type: 'string' },
        epochs: { type: 'string' },
        steps: { type: 'string' },
        'train-images': { type: 'string' },
        'val-images': { type: 'string' },
        'hr-size': { type: 'string' },
        batch: { type: 'string' },
        seed: { type: 'string', default: '0' },
        device: { type: 'string', default: 'cpu' },
        normalization: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'test-images': { type: 'string' },
        models: { type: 'string' },
        download: { type: 'boolean', default: false },
      },
    });
    for (const need of ['network', 'layer', 'coco', 'tests'] as const) {
      if (!v[need]) throw new Error(`--${need} is required (see --help)`);
    }
    if (v.factor !== '4' && v.factor !== '8') throw new Error(`--factor must be 4 or 8, got '${v.factor}'`);
    const layer = int(v.layer, '--layer')!;
    checkLayers(v.network!, [layer], '--layer');
    const device = resolveDevice(v.device!);
    const out = resolve(v.out ?? join('runs', 'super-resolution', `${v.network}-l${layer}-x${v.factor}`));
    const options: SuperResolutionOptions = {
      coco: resolve(v.coco!),
      tests: resolve(v.tests!),
      download: v.download,
      epochs: int(v.epochs, '--epochs'),
      stepsPerEpoch: int(v.steps, '--steps'),
      trainImages: int(v['train-images'], '--train-images'),
      valImages: int(v['val-images'], '--val-images'),
      hrSize: int(v['hr-size'], '--hr-size'),
      batchSize: int(v.batch, '--batch'),
      normalization: v.normalization as SuperResolutionOptions['normalization'],
      checkpointEvery: int(v['checkpoint-every'], '--checkpoint-every'),
      testImages: int(v['test-images'], '--test-images'),
    };
    const spec = {
      benchmark: 'super-resolution' as const,
      network: v.network!,
      layers: [layer],
      variant: `x${v.factor}`,
      repetition: 0,
      seed: int(v.seed, '--seed')!,
      options,
    };
    const run = await runOneFromCli(superResolution, spec, { dir: out, device, modelsDir: v.models, command: 'super-resolution', args });
    return run ? 0 : 130;
  },
};
