import { parseArgs } from 'node:util';
import { LossNetwork } from '../loss-network.js';
import { studyLayers } from '../networks.js';
import { Compare, PerceptualSimilarity, readSimilarityWeights } from '../similarity.js';
import { resolveDevice } from '../device.js';
import { intList, type Command } from './command.js';

export const distanceCommand: Command = {
  summary: 'print the perceptual distance between two images (PNG/JPEG, resized to 64x64)',
  usage:
    'a.png b.png --network NAME [--layers 1,4,7,11] [--weights FILE] [--compare spatial|mean|sort|spatial+mean|spatial+sort]\n' +
    '    [--no-channel-norm] [--normalization imagenet|lpips] [--size 64] [--device auto|cpu|cuda] [--models-dir DIR]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        network: { type: 'string' },
        layers: { type: 'string' },
        weights: { type: 'string' },
        compare: { type: 'string' },
        'no-channel-norm': { type: 'boolean' },
        normalization: { type: 'string' },
        size: { type: 'string', default: '64' },
        device: { type: 'string', default: 'cpu' },
        'models-dir': { type: 'string' },
      },
    });
    if (positionals.length !== 2) throw new Error(`give exactly two image files, got ${positionals.length}`);
    const file = values.weights ? readSimilarityWeights(values.weights) : undefined;
    const network = values.network ?? file?.network;
    if (!network) throw new Error('--network is required (e.g. --network alexnet)');
    const compare = Compare.safeParse(values.compare ?? file?.compare ?? 'spatial');
    if (!compare.success) throw new Error(`--compare must be one of ${Compare.options.join(', ')}, got '${values.compare}'`);
    const size = Number(values.size);
    if (!Number.isInteger(size) || size < 1) throw new Error(`--size must be a positive integer, got '${values.size}'`);
    const normalization = values.normalization ?? file?.normalization ?? 'imagenet';
    if (normalization !== 'imagenet' && normalization !== 'lpips')
      throw new Error(`--normalization must be imagenet or lpips, got '${normalization}'`);
    const net = await LossNetwork.load(network, { device: resolveDevice(values.device), modelsDir: values['models-dir'], normalization });
    if (!net.pretrained) console.error(`note: ${network} is exported with random weights (${net.weightsId}), not ImageNet's`);
    const sim = new PerceptualSimilarity({
      network: net,
      layers: intList(values.layers, '--layers') ?? file?.layers ?? studyLayers(network),
      compare: compare.data,
      channelNorm: values['no-channel-norm'] ? false : (file?.channelNorm ?? true),
      weights: values.weights,
      imageSize: size,
    });
    try {
      const [d] = await sim.distance(positionals[0]!, positionals[1]!);
      console.log(d!.toPrecision(7));
      return 0;
    } finally {
      sim.dispose();
      net.dispose();
    }
  },
};
