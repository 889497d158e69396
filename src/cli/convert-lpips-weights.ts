import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertLpipsWeights, lpipsArchitecture, LPIPS_TRUNKS } from '../lpips-weights.js';
import { readManifest, weightsId } from '../manifest.js';
import { modelsDir } from '../paths.js';
import { writeFileAtomic } from '../training/atomic.js';
import type { Command } from './command.js';

export const convertLpipsWeightsCommand: Command = {
  summary: "convert LPIPS's linear-layer weights (e.g. weights/v0.1/alex.pth) into a similarity weights file",
  usage:
    'IN.pth OUT.json [--network alex|vgg|squeeze] [--models-dir DIR] [--allow-random-weights]\n\n' +
    'The file is tied to the export of its trunk in the models folder (alexnet, vgg16 or squeezenet1_1, made\n' +
    'with `npx dpl-torch export-networks --weights imagenet`); LPIPS learned its weights on ImageNet trunks, so a\n' +
    'random-weights export is refused unless --allow-random-weights. Python with torch reads the .pth.\n' +
    'Use it with `dpl-torch distance a.png b.png --weights OUT.json` or PerceptualSimilarity({ weights: OUT.json }).',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        network: { type: 'string' },
        'models-dir': { type: 'string' },
        'allow-random-weights': { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 2) throw new Error(`give the LPIPS .pth and the .json to write, got ${positionals.length} arguments`);
    const [pth, out] = positionals as [string, string];
    const dir = resolve(values['models-dir'] ?? modelsDir());
    // The export the file is tied to; checked before the .pth is read when the network is named.
    const exportOf = (arch: string) => {
      const entry = readManifest(dir).networks[arch];
      if (!entry) {
        throw new Error(
          `no export of ${arch} in ${dir}: run \`npx dpl-torch export-networks --arch ${arch} --weights imagenet\` first (or pass --models-dir)`,
        );
      }
      if (entry.weights === 'random' && !values['allow-random-weights']) {
        throw new Error(
          `the ${arch} export in ${dir} has random weights (${weightsId(entry)}); LPIPS's weights fit its ImageNet trunk: export with --weights imagenet, or pass --allow-random-weights`,
        );
      }
      return entry;
    };
    if (values.network) exportOf(lpipsArchitecture(values.network));
    const file = convertLpipsWeights(pth, { network: values.network, weightsId: '' });
    const entry = exportOf(file.network);
    file.weightsId = weightsId(entry);
    writeFileAtomic(out, JSON.stringify(file));
    const lpips = LPIPS_TRUNKS[file.network]!.lpipsName;
    console.log(
      `wrote ${out}: LPIPS ${lpips} on ${file.network} (${file.weightsId}), layers ${file.layers.join(',')}, lpips normalisation`,
    );
    return 0;
  },
};
