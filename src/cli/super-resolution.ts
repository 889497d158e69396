import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { superResolution, type SuperResolutionOptions } from '../benchmarks/super-resolution.js';
import { type Command } from './command.js';

function int(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${option} must be an integer, got '${value}'`);
  return n;
}

export const superResolutionCommand: Command = {
  summary: 'train and evaluate one super-resolution model with a deep perceptual loss (x4 or x8)',
  usage:
    '--network ARCH --layer N --coco DIR --tests DIR [--factor 4|8] [--out DIR] [--epochs N] [--steps N] ' +
    '[--train-images N] [--val-images N] [--hr-size N] [--batch N] [--seed N] [--device cpu|cuda] ' +
    '[--normalization none|imagenet] [--checkpoint-every N] [--models DIR] [--download]',
  async run(args) {
    const { values: v } = parseArgs({ args, strict: true, options: {
      network: { type: 'string' }, layer: { type: 'string' }, factor: { type: 'string', default: '4' },
      coco: { type: 'string' }, tests: { type: 'string' }, out: { type: 'string' },
      epochs: { type: 'string' }, steps: { type: 'string' }, 'train-images': { type: 'string' },
      'val-images': { type: 'string' }, 'hr-size': { type: 'string' }, batch: { type: 'string' },
      seed: { type: 'string', default: '0' }, device: { type: 'string', default: 'cpu' },
      normalization: { type: 'string' }, 'checkpoint-every': { type: 'string' }, models: { type: 'string' }, download: { type: 'boolean', default: false },
    } });
    for (const need of ['network', 'layer', 'coco', 'tests'] as const) {
      if (!v[need]) throw new Error(`--${need} is required (see --help)`);
    }
    if (v.factor !== '4' && v.factor !== '8') throw new Error(`--factor must be 4 or 8, got '${v.factor}'`);
    const layer = int(v.layer, '--layer')!;
    const out = resolve(v.out ?? join('runs', 'super-resolution', `${v.network}-l${layer}-x${v.factor}`));
    const options: SuperResolutionOptions = {
      coco: resolve(v.coco!), tests: resolve(v.tests!), download: v.download,
      epochs: int(v.epochs, '--epochs'), stepsPerEpoch: int(v.steps, '--steps'),
      trainImages: int(v['train-images'], '--train-images'), valImages: int(v['val-images'], '--val-images'),
      hrSize: int(v['hr-size'], '--hr-size'), batchSize: int(v.batch, '--batch'),
      normalization: v.normalization as SuperResolutionOptions['normalization'],
      checkpointEvery: int(v['checkpoint-every'], '--checkpoint-every'),
    };
    const controller = new AbortController();
    const onSigint = () => {
      console.error('\nstopping at the next step (a checkpoint is saved); Ctrl-C again to quit at once');
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    const started = Date.now();
    let lastPrint = 0;
    try {
      const result = await superResolution.run(
        { benchmark: 'super-resolution', network: v.network!, layers: [layer], variant: `x${v.factor}`, repetition: 0, seed: int(v.seed, '--seed')!, options },
        {
          dir: out, device: v.device!, modelsDir: v.models, signal: controller.signal,
          progress: (done, total, note) => {
            // One line per 2% of the steps and at the end, with an ETA.
            if (done !== total && done - lastPrint < Math.max(1, total / 50)) return;
            lastPrint = done;
            const eta = ((Date.now() - started) / done) * (total - done) / 1000;
            console.log(`step ${done}/${total} ${note ?? ''} (ETA ${eta.toFixed(0)} s)`);
          },
          log: (line) => console.log(line),
        },
      );
      console.log(`\nweights: ${result.weightsId}`);
      for (const [k, val] of Object.entries(result.metrics)) console.log(`${k.padEnd(22)} ${val.toFixed(4)}`);
      console.log(`run folder: ${out}`);
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
