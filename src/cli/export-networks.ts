import { exportNetworks } from '../export-networks.js';
import { modelsDir } from '../paths.js';
import { parseArgs } from 'node:util';
import { list, type Command } from './command.js';

export const exportNetworksCommand: Command = {
  summary: 'export torchvision loss networks to TorchScript (default: the 14 study networks, ImageNet weights)',
  usage: '[--arch a,b] [--weights imagenet|random] [--seed N] [--out DIR] [--weights-dir DIR]',
  async run(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        arch: { type: 'string' },
        weights: { type: 'string', default: 'imagenet' },
        seed: { type: 'string', default: '0' },
        out: { type: 'string' },
        'weights-dir': { type: 'string' },
      },
    });
    if (values.weights !== 'imagenet' && values.weights !== 'random') {
      throw new Error(`--weights must be 'imagenet' or 'random', got '${values.weights}'`);
    }
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`);
    const out = values.out ?? modelsDir();
    await exportNetworks({
      architectures: list(values.arch),
      weights: values.weights,
      seed,
      out,
      weightsDir: values['weights-dir'],
      onLine: (line) => {
        try {
          const e = JSON.parse(line) as { exported: string; children: number; weights: string; seconds: number };
          console.log(`exported ${e.exported} (${e.children} children, weights ${e.weights}) in ${e.seconds}s`);
        } catch {
          console.log(line);
        }
      },
    });
    console.log(`manifest: ${out}/manifest.json`);
    return 0;
  },
};
