import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { similarity, SIMILARITY_VARIANTS } from '../benchmarks/similarity.js';
import { studyLayers } from '../networks.js';
import { resolveDevice } from '../device.js';
import { writeJsonAtomic } from '../training/atomic.js';
import { checkLayers, int, intList, type Command } from './command.js';
import { runOneFromCli } from './run-one.js';

export const similarityCommand: Command = {
  summary: 'train (lin, tune, scratch) and score a perceptual similarity metric on BAPPS (2AFC, JND)',
  usage:
    '--network NAME --bapps DIR [--layers 3,8,15,29] [--variant baseline|lin|tune|scratch] [--download] [--base-url URL]\n' +
    '    [--out DIR] [--epochs N] [--batch N] [--compare spatial|mean|sort|spatial+mean|spatial+sort] [--no-channel-norm]\n' +
    '    [--normalization imagenet|lpips] [--seed N] [--device auto|cpu|cuda] [--models-dir DIR] [--allow-random-weights] [--checkpoint-steps N]',
  async run(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        network: { type: 'string' },
        layers: { type: 'string' },
        variant: { type: 'string', default: 'baseline' },
        bapps: { type: 'string' },
        download: { type: 'boolean' },
        'base-url': { type: 'string' },
        out: { type: 'string', default: 'runs/similarity' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        compare: { type: 'string' },
        'no-channel-norm': { type: 'boolean' },
        normalization: { type: 'string' },
        seed: { type: 'string', default: '0' },
        device: { type: 'string', default: 'cpu' },
        'models-dir': { type: 'string' },
        'allow-random-weights': { type: 'boolean' },
        'checkpoint-steps': { type: 'string' },
      },
    });
    if (!values.network) throw new Error('--network is required (e.g. --network vgg16)');
    if (!values.bapps) throw new Error('--bapps DIR is required: a folder holding BAPPS (2afc/, jnd/), or where --download puts it');
    if (!(SIMILARITY_VARIANTS as readonly string[]).includes(values.variant)) {
      throw new Error(`--variant must be one of ${SIMILARITY_VARIANTS.join(', ')}, got '${values.variant}'`);
    }
    const layers = intList(values.layers, '--layers') ?? studyLayers(values.network);
    checkLayers(values.network, layers, '--layers');
    const device = resolveDevice(values.device);
    const seed = int(values.seed, '--seed')!;
    const options: Record<string, unknown> = {
      bappsDir: resolve(values.bapps),
      download: values.download ?? false,
      baseUrl: values['base-url'],
      epochs: int(values.epochs, '--epochs'),
      batch: int(values.batch, '--batch'),
      compare: values.compare,
      channelNorm: !values['no-channel-norm'],
      normalization: values.normalization,
      weights: values['allow-random-weights'] ? 'any' : 'imagenet',
      checkpointSteps: int(values['checkpoint-steps'], '--checkpoint-steps'),
    };
    for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
    const name = `similarity-${values.network}-${layers.join('_')}-${values.variant}-seed${seed}`;
    const out = resolve(values.out);
    const dir = join(out, name);
    const spec = {
      benchmark: 'similarity' as const,
      network: values.network,
      layers,
      variant: values.variant,
      repetition: 0,
      seed,
      options,
    };
    const run = await runOneFromCli(similarity, spec, { dir, device, modelsDir: values['models-dir'], command: 'similarity', args });
    if (!run) return 130;
    mkdirSync(out, { recursive: true });
    const file = join(out, `${name}.json`);
    const body = {
      benchmark: 'similarity',
      network: values.network,
      layers,
      variant: values.variant,
      seed,
      options,
      weightsId: run.result.weightsId,
      metrics: run.result.metrics,
      seconds: run.seconds,
      runDir: dir,
    };
    writeJsonAtomic(file, body);
    console.log(`results: ${file}`);
    return 0;
  },
};
