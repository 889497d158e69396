// The seeded random-init exports every native test uses, made once per run by
// test/global-setup.ts into .cache/test-models (reused while the manifest matches).
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

export const TEST_MODELS = join(packageRoot, '.cache', 'test-models');
export const TEST_SEED = 0;

/** One network of each family in study.md, beyond the 14. */
export const EXTRA_FAMILIES = ['mobilenet_v2', 'mobilenet_v3_small', 'shufflenet_v2_x0_5', 'mnasnet0_5', 'regnet_y_400mf'];
