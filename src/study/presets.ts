// Ready-made studies. `paper`: the study's grid at full scale with ImageNet
// weights only. `quick` (the default): every implemented benchmark on a few
// networks and layers at toy scale, on synthetic data made offline, finished in
// about ten minutes on 2 CPU cores; it takes random-init loss networks where no
// ImageNet export exists, and says so in the results and report.
import { STUDY_NETWORK_NAMES, STUDY_NETWORKS } from '../networks.js';
import type { StudyConfigInput } from './config.js';
import type { Registry } from './registry.js';

export type PresetName = 'paper' | 'quick';
export const PRESET_NAMES: PresetName[] = ['paper', 'quick'];

/** Which benchmark options a study starts from: the benchmarks' full-scale or toy-scale settings. */
export type Scale = 'paper' | 'quick' | 'tiny';

/** The quick preset's networks: small, fast, one of each common family. */
export const QUICK_NETWORKS = ['alexnet', 'vgg11', 'squeezenet1_1', 'resnet18'];
/** DPL_TORCH_QUICK_SCALE=tiny (tests): three networks (enough for a correlation), fewer steps. */
export const TINY_NETWORKS = ['alexnet', 'squeezenet1_1', 'resnet18'];

/** The quick scale from DPL_TORCH_QUICK_SCALE ('tiny' shortens it further). */
export function quickScale(): Scale {
  const v = process.env.DPL_TORCH_QUICK_SCALE;
  if (v === undefined || v === '' || v === 'quick') return 'quick';
  if (v === 'tiny') return 'tiny';
  throw new Error(`DPL_TORCH_QUICK_SCALE must be 'tiny' or unset, got '${v}'`);
}

export interface Preset {
  config: StudyConfigInput;
  scale: Scale;
}

export function preset(name: PresetName, registry: Registry): Preset {
  const implemented = Object.keys(registry) as (keyof Registry)[];
  if (name === 'paper') {
    return {
      scale: 'paper',
      config: {
        name: 'paper',
        benchmarks: Object.fromEntries(implemented.map((b) => [b, { variants: registry[b]!.variants.paper }])),
        networks: STUDY_NETWORK_NAMES,
        layers: 'paper',
        repetitions: 4,
        weights: 'imagenet',
      },
    };
  }
  const scale = quickScale();
  const networks = scale === 'tiny' ? TINY_NETWORKS : QUICK_NETWORKS;
  // Two layers per network (shallow and middle) keep the quick study short and still show depth effects.
  const layers = Object.fromEntries(networks.map((n) => [n, STUDY_NETWORKS[n]!.layers.slice(0, scale === 'tiny' ? 2 : 3)]));
  return {
    scale,
    config: {
      name: scale === 'tiny' ? 'quick (tiny)' : 'quick',
      benchmarks: Object.fromEntries(implemented.map((b) => [b, { variants: registry[b]!.variants.quick }])),
      networks,
      layers,
      repetitions: 1,
      weights: 'any',
    },
  };
}
