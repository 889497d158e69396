import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DELINEATION_VARIANT, delineation, type DelineationOptions } from '../benchmarks/delineation.js';
import { resolveDevice } from '../device.js';
import { checkLayers, int, num, type Command } from './command.js';
import { runOneFromCli } from './run-one.js';

export const delineationCommand: Command = {
  summary: 'train and evaluate one road-delineation U-Net with a deep perceptual loss on Massachusetts Roads',
  usage:
    '--network ARCH|pixel --layer N --mrd DIR [--download] [--base-url URL] [--out DIR] [--epochs N] [--batch N]\n' +
    '    [--crop N] [--iterations K] [--feature-weight MU] [--threshold P] [--tolerance RHO] [--seed N] [--device auto|cpu|cuda]\n' +
    '    [--checkpoint-every N] [--models DIR]',
  async run(args) {
    const { values: v } = parseArgs({
      args,
      strict: true,
      options: {
        network: { type: 'string' },
        layer: { type: 'string' },
        mrd: { type: 'string' },
        download: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
        out: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        crop: { type: 'string' },
        iterations: { type: 'string' },
        'feature-weight': { type: 'string' },
        threshold: { type: 'string' },
        tolerance: { type: 'string' },
        seed: { type: 'string', default: '0' },
        device: { type: 'string', default: 'cpu' },
        'checkpoint-every': { type: 'string' },
        models: { type: 'string' },
      },
    });
    if (!v.network) throw new Error('--network is required (e.g. --network vgg19, or pixel for the BCE-only baseline)');
    const pixel = v.network === 'pixel';
    if (!pixel && v.layer === undefined)
      throw new Error("--layer is required (e.g. --layer 8; see the README for each network's study layers)");
    if (!v.mrd) throw new Error('--mrd DIR is required: a folder holding MRD/{train,val,test}/{input,output}, or where --download puts it');
    const layer = pixel ? undefined : int(v.layer, '--layer')!;
    // Refused here, before any data is read or downloaded (the run checks it again against the export).
    if (layer !== undefined) checkLayers(v.network, [layer], '--layer');
    const device = resolveDevice(v.device!);
    const out = resolve(v.out ?? join('runs', 'delineation', pixel ? 'pixel' : `${v.network}-l${layer}`));
    const options: DelineationOptions = {
      mrd: resolve(v.mrd),
      download: v.download,
      baseUrl: v['base-url'],
      epochs: int(v.epochs, '--epochs'),
      batchSize: int(v.batch, '--batch'),
      cropSize: int(v.crop, '--crop'),
      iterations: int(v.iterations, '--iterations'),
      featureWeight: num(v['feature-weight'], '--feature-weight'),
      threshold: num(v.threshold, '--threshold'),
      tolerance: num(v.tolerance, '--tolerance'),
      checkpointEvery: int(v['checkpoint-every'], '--checkpoint-every'),
    };
    const spec = {
      benchmark: 'delineation' as const,
      network: v.network,
      layers: layer === undefined ? [] : [layer],
      variant: DELINEATION_VARIANT,
      repetition: 0,
      seed: int(v.seed, '--seed')!,
      options,
    };
    const run = await runOneFromCli(delineation, spec, { dir: out, device, modelsDir: v.models, command: 'delineation', args });
    return run ? 0 : 130;
  },
};
