// The registry of loss networks: which torchvision module's children form each
// network (study.md), how many children are usable, and the study's 4 layers.
import { dplError } from './errors.js';

export type ChildrenRule = 'features' | 'top-level' | 'layers' | 'stem+trunk';

export interface StudyNetwork {
  /** The study's 4 layers, shallow to deep. */
  layers: [number, number, number, number];
  /** What sits at each layer (torchvision / paper names). */
  modules: [string, string, string, string];
  /** Feature shape [C, H, W] at each layer for a 64×64 input. */
  shapes64: [number, number, number][];
  /** ImageNet-1k top-1 of the V1 weights (torchvision metadata). */
  imagenetTop1: number;
}

const FAMILIES: { pattern: RegExp; rule: ChildrenRule; children: (arch: string) => number }[] = [
  { pattern: /^alexnet$/, rule: 'features', children: () => 13 },
  {
    pattern: /^vgg(11|13|16|19)(_bn)?$/,
    rule: 'features',
    children: (a) => ({ vgg11: 21, vgg13: 25, vgg16: 31, vgg19: 37, vgg11_bn: 29, vgg13_bn: 35, vgg16_bn: 44, vgg19_bn: 53 })[a]!,
  },
  { pattern: /^densenet(121|161|169|201)$/, rule: 'features', children: () => 12 },
  { pattern: /^squeezenet1_[01]$/, rule: 'features', children: () => 13 },
  { pattern: /^mobilenet_v2$/, rule: 'features', children: () => 19 },
  { pattern: /^mobilenet_v3_large$/, rule: 'features', children: () => 17 },
  { pattern: /^mobilenet_v3_small$/, rule: 'features', children: () => 13 },
  { pattern: /^efficientnet_b[0-7]$/, rule: 'features', children: () => 9 },
  {
    pattern: /^(resnet(18|34|50|101|152)|wide_resnet(50|101)_2|resnext(50_32x4d|101_32x8d|101_64x4d))$/,
    rule: 'top-level',
    children: () => 9,
  },
  { pattern: /^shufflenet_v2_x(0_5|1_0|1_5|2_0)$/, rule: 'top-level', children: () => 6 },
  { pattern: /^googlenet$/, rule: 'top-level', children: () => 16 },
  { pattern: /^inception_v3$/, rule: 'top-level', children: () => 15 },
  { pattern: /^mnasnet(0_5|0_75|1_0|1_3)$/, rule: 'layers', children: () => 17 },
  { pattern: /^regnet_[xy]_(400mf|800mf|1_6gf|3_2gf|8gf|16gf|32gf|128gf)$/, rule: 'stem+trunk', children: () => 7 },
];

const S = (c: number, h: number): [number, number, number] => [c, h, h];
const VGG_SHAPES = [S(64, 64), S(128, 32), S(256, 16), S(512, 4)];
const RESNET_H = [32, 16, 8, 2];

/** The 14 networks of the study, in the paper's order. */
export const STUDY_NETWORKS: Record<string, StudyNetwork> = {
  alexnet: {
    layers: [1, 4, 7, 11],
    modules: ['relu1', 'relu2', 'relu3', 'relu5'],
    shapes64: [S(64, 15), S(192, 7), S(384, 3), S(256, 3)],
    imagenetTop1: 56.522,
  },
  vgg11: { layers: [1, 4, 9, 19], modules: ['relu1_1', 'relu2_1', 'relu3_2', 'relu5_2'], shapes64: VGG_SHAPES, imagenetTop1: 69.02 },
  vgg16: { layers: [3, 8, 15, 29], modules: ['relu1_2', 'relu2_2', 'relu3_3', 'relu5_3'], shapes64: VGG_SHAPES, imagenetTop1: 71.592 },
  vgg16_bn: { layers: [5, 12, 22, 42], modules: ['relu1_2', 'relu2_2', 'relu3_3', 'relu5_3'], shapes64: VGG_SHAPES, imagenetTop1: 73.36 },
  vgg19: { layers: [3, 8, 17, 35], modules: ['relu1_2', 'relu2_2', 'relu3_4', 'relu5_4'], shapes64: VGG_SHAPES, imagenetTop1: 72.376 },
  densenet121: {
    layers: [2, 4, 6, 10],
    modules: ['relu0', 'denseblock1', 'denseblock2', 'denseblock4'],
    shapes64: [S(64, 32), S(256, 16), S(512, 8), S(1024, 2)],
    imagenetTop1: 74.434,
  },
  resnet18: {
    layers: [2, 4, 5, 7],
    modules: ['relu', 'layer1', 'layer2', 'layer4'],
    shapes64: [64, 64, 128, 512].map((c, i) => S(c, RESNET_H[i]!)),
    imagenetTop1: 69.758,
  },
  resnet50: {
    layers: [2, 4, 5, 7],
    modules: ['relu', 'layer1', 'layer2', 'layer4'],
    shapes64: [64, 256, 512, 2048].map((c, i) => S(c, RESNET_H[i]!)),
    imagenetTop1: 76.13,
  },
  resnext50_32x4d: {
    layers: [2, 4, 5, 7],
    modules: ['relu', 'layer1', 'layer2', 'layer4'],
    shapes64: [64, 256, 512, 2048].map((c, i) => S(c, RESNET_H[i]!)),
    imagenetTop1: 77.618,
  },
  googlenet: {
    layers: [0, 5, 8, 15],
    modules: ['conv1', 'inception3a', 'inception4a', 'inception5b'],
    shapes64: [S(64, 32), S(256, 8), S(512, 4), S(1024, 2)],
    imagenetTop1: 69.778,
  },
  inception_v3: {
    layers: [2, 7, 9, 14],
    modules: ['Conv2d_2b_3x3', 'Mixed_5b', 'Mixed_5d', 'Mixed_6e'],
    shapes64: [S(64, 29), S(256, 5), S(288, 5), S(768, 2)],
    imagenetTop1: 77.294,
  },
  squeezenet1_1: {
    layers: [1, 3, 7, 12],
    modules: ['relu1', 'fire2', 'fire5', 'fire9'],
    shapes64: [S(64, 31), S(128, 15), S(256, 7), S(512, 3)],
    imagenetTop1: 58.178,
  },
  efficientnet_b0: {
    layers: [0, 1, 4, 7],
    modules: ['stem', 'stage1', 'stage4', 'stage7'],
    shapes64: [S(32, 32), S(16, 32), S(80, 4), S(320, 2)],
    imagenetTop1: 77.692,
  },
  efficientnet_b7: {
    layers: [0, 1, 4, 7],
    modules: ['stem', 'stage1', 'stage4', 'stage7'],
    shapes64: [S(64, 32), S(32, 32), S(160, 4), S(640, 2)],
    imagenetTop1: 84.122,
  },
};

export const STUDY_NETWORK_NAMES = Object.keys(STUDY_NETWORKS);

/** Family rule and children count, or undefined for an architecture dpl-torch does not know. */
export function describeArchitecture(arch: string): { rule: ChildrenRule; children: number } | undefined {
  const family = FAMILIES.find((f) => f.pattern.test(arch));
  return family && { rule: family.rule, children: family.children(arch) };
}

/** Throws an Error that lists what is accepted, unless `arch` is a known architecture. */
export function requireArchitecture(arch: string): { rule: ChildrenRule; children: number } {
  const d = describeArchitecture(arch);
  if (!d) {
    throw dplError(
      'ERR_DPL_ARG',
      `unknown architecture '${arch}': use a torchvision name such as ${STUDY_NETWORK_NAMES.join(', ')}, ` +
        'or another of the families in study.md (vgg*_bn, resnet*, wide_resnet*, resnext*, densenet*, ' +
        'mobilenet_v2/v3*, shufflenet_v2*, mnasnet*, efficientnet_b0..b7, regnet_*, squeezenet1_0)',
    );
  }
  return d;
}

/** The study's layers of a network, or an error naming the 14. */
export function studyLayers(arch: string): number[] {
  const n = STUDY_NETWORKS[arch];
  if (!n) throw new Error(`'${arch}' is not one of the study's 14 networks (${STUDY_NETWORK_NAMES.join(', ')}); give layers explicitly`);
  return [...n.layers];
}
