import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { autoencoder, DATASETS, type AutoencoderOptions } from '../benchmarks/autoencoder.js';
import { resolveDevice } from '../device.js';
import { checkLayers, int, type Command } from './command.js';
import { runOneFromCli } from './run-one.js';

export const autoencoderCommand: Command = {
  summary: 'train one autoencoder with a deep perceptual loss (or --network pixel) and score its codes with the probes',
  usage:
    '--network ARCH|pixel --layer N --data svhn|stl10 [--svhn DIR] [--stl10 DIR] [--download] [--out DIR] [--epochs N] ' +
    '[--patience N] [--batch N] [--probe-epochs N] [--max-images N] [--seed N] [--data-seed N] [--device auto|cpu|cuda] ' +
    '[--normalization none|imagenet] [--checkpoint-every N] [--models DIR]',
  async run(args) {
    const { values: v } = parseArgs({
      args,
      strict: true,
      options: {
        network: { type: 'string' },
        layer: { type: 'string' },
        data: { type: 'string' },
        svhn: { type: 'string' },
        stl10: { type: 'string' },
        download: { type: 'boolean', default: false },
        out: { type: 'string' },
        epochs: { type: 'string' },
        patience: { type: 'string' },
        batch: { type: 'string' },
        'probe-epochs': { type: 'string' },
        'max-images': { type: 'string' },
        seed: { type: 'string', default: '0' },
        'data-seed': { type: 'string' },
        device: { type: 'string', default: 'cpu' },
        normalization: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        models: { type: 'string' },
      },
    });
    if (!v.network) throw new Error('--network is required (an architecture, or pixel for the pixel-loss baseline; see --help)');
    const pixel = v.network === 'pixel';
    if (!pixel && v.layer === undefined) throw new Error('--layer is required with a loss network (see --help)');
    const dataset = v.data as (typeof DATASETS)[number];
    if (!DATASETS.includes(dataset)) throw new Error(`--data must be svhn or stl10, got '${v.data ?? ''}'`);
    if (!v[dataset]) throw new Error(`--${dataset} DIR is required with --data ${dataset} (the folder that holds, or will hold, the data)`);
    const layer = pixel ? undefined : int(v.layer, '--layer')!;
    // A layer past the network's end is refused here, before any model or data is touched.
    if (layer !== undefined) checkLayers(v.network, [layer], '--layer');
    const device = resolveDevice(v.device!);
    const out = resolve(v.out ?? join('runs', 'autoencoder', `${v.network}${pixel ? '' : `-l${layer}`}-${dataset}`));
    const options: AutoencoderOptions = {
      svhn: v.svhn && resolve(v.svhn),
      stl10: v.stl10 && resolve(v.stl10),
      download: v.download,
      epochs: int(v.epochs, '--epochs'),
      patience: int(v.patience, '--patience'),
      batchSize: int(v.batch, '--batch'),
      probeEpochs: int(v['probe-epochs'], '--probe-epochs'),
      maxImages: int(v['max-images'], '--max-images'),
      dataSeed: int(v['data-seed'], '--data-seed'),
      normalization: v.normalization as AutoencoderOptions['normalization'],
      checkpointEvery: int(v['checkpoint-every'], '--checkpoint-every'),
    };
    const spec = {
      benchmark: 'autoencoder' as const,
      network: v.network,
      layers: pixel ? [] : [layer!],
      variant: dataset,
      repetition: 0,
      seed: int(v.seed, '--seed')!,
      options,
    };
    const run = await runOneFromCli(autoencoder, spec, { dir: out, device, modelsDir: v.models, command: 'autoencoder', args });
    return run ? 0 : 130;
  },
};
