// Layers by name as well as by index. A loss network's layer i is its i-th child
// (networks.ts); it answers to torchvision's module name for that child (what
// torchvision's feature_extraction takes: 'features.8', 'layer2',
// 'features.denseblock1'), to the child's own name where that is not a bare number
// ('layer2', 'denseblock1', 'Mixed_5b'), and for VGG, AlexNet and SqueezeNet to the
// conventional names of the papers and LPIPS ('relu2_2', 'conv5', 'fire9'). Names
// are resolved to indices here, before anything reaches native code.
import { dplError } from './errors.js';
import { describeArchitecture } from './networks.js';

/** A layer: a child index, or a name the network's layer answers to. */
export type Layer = number | string;

// Convolutions per block of torchvision's VGG configurations (cfgs A, B, D, E).
const VGG_BLOCKS: Record<string, number[]> = {
  vgg11: [1, 1, 2, 2, 2],
  vgg13: [2, 2, 2, 2, 2],
  vgg16: [2, 2, 3, 3, 3],
  vgg19: [2, 2, 4, 4, 4],
};

// Each VGG child in order: conv{b}_{i}, bn{b}_{i} (the _bn variants), relu{b}_{i}, then pool{b} per block.
function vggNames(arch: string): string[] | undefined {
  const m = /^(vgg\d+)(_bn)?$/.exec(arch);
  const blocks = m && VGG_BLOCKS[m[1]!];
  if (!blocks) return undefined;
  const out: string[] = [];
  blocks.forEach((convs, b) => {
    for (let i = 1; i <= convs; i++) {
      out.push(`conv${b + 1}_${i}`);
      if (m![2]) out.push(`bn${b + 1}_${i}`);
      out.push(`relu${b + 1}_${i}`);
    }
    out.push(`pool${b + 1}`);
  });
  return out;
}

const CONVENTIONAL: Record<string, string[]> = {
  // Caffe's AlexNet names (as LPIPS uses them): features 0..12.
  alexnet: ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'conv3', 'relu3', 'conv4', 'relu4', 'conv5', 'relu5', 'pool5'],
  // SqueezeNet's paper names; its fire modules are numbered from 2.
  squeezenet1_0: ['conv1', 'relu1', 'pool1', 'fire2', 'fire3', 'fire4', 'pool4', 'fire5', 'fire6', 'fire7', 'fire8', 'pool8', 'fire9'],
  squeezenet1_1: ['conv1', 'relu1', 'pool1', 'fire2', 'fire3', 'pool3', 'fire4', 'fire5', 'pool5', 'fire6', 'fire7', 'fire8', 'fire9'],
};

/** Conventional names per child index, where the family has them. */
function conventionalNames(arch: string): (string | undefined)[] | undefined {
  if (/^efficientnet_b[0-7]$/.test(arch)) return ['stem', ...Array.from({ length: 7 }, (_, i) => `stage${i + 1}`)];
  return vggNames(arch) ?? CONVENTIONAL[arch];
}

/**
 * For each layer index of `arch`, the names it answers to, torchvision's module
 * name first. `childNames` are the manifest's (the children's names within their
 * parent module, as the export script writes them); without them, only
 * numbered-children families get names.
 */
export function layerNames(arch: string, children: number, childNames?: readonly string[]): string[][] {
  const rule = describeArchitecture(arch)?.rule;
  const prefix = rule === 'features' ? 'features.' : rule === 'layers' ? 'layers.' : '';
  const own = childNames ?? (prefix ? Array.from({ length: children }, (_, i) => String(i)) : undefined);
  const conventional = conventionalNames(arch);
  return Array.from({ length: children }, (_, i) => {
    const names: string[] = [];
    const child = own?.[i];
    if (child !== undefined) {
      names.push(prefix + child);
      const last = child.slice(child.lastIndexOf('.') + 1);
      if (!/^\d+$/.test(last)) names.push(last);
    }
    // A list longer than the export's children does not describe it: no aliases then.
    const alias = conventional && conventional.length <= children ? conventional[i] : undefined;
    if (alias) names.push(alias);
    return [...new Set(names)];
  });
}

/**
 * Indices for `layers` (indices pass through; native code checks their range),
 * or an ERR_DPL_LAYER RangeError that lists the valid names.
 */
export function resolveLayers(layers: readonly Layer[], names: readonly string[][], network: string): number[] {
  if (!Array.isArray(layers)) throw dplError('ERR_DPL_ARG', `layers must be an array of indices or names, got ${typeof layers}`);
  const index = new Map<string, number>();
  names.forEach((list, i) => list.forEach((n) => index.set(n, i)));
  return layers.map((l) => {
    if (typeof l === 'number') return l;
    if (typeof l !== 'string') throw dplError('ERR_DPL_ARG', `a layer must be an index or a name, got ${typeof l}`);
    const i = index.get(l);
    if (i !== undefined) return i;
    const valid = names.map((list, j) => (list.length ? `${j}: ${list.join(' | ')}` : `${j}`)).join(', ');
    const hint = index.size ? '' : ' (this export has no child names in its manifest: re-export it with `npx dpl-torch export-networks`)';
    throw dplError('ERR_DPL_LAYER', `unknown layer '${l}' for ${network}${hint}; its layers are ${valid}`);
  });
}
