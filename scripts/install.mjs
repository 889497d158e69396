#!/usr/bin/env node
// npm's install script. A prebuilt addon (an installed @dpl-torch platform package)
// that fits the LibTorch found and loads needs no compiler; otherwise, or with
// DPL_TORCH_BUILD_FROM_SOURCE=1, the addon is built from source.
import { buildAddon, libTorchForBuild } from './build-native.mjs';
import { chooseAddon, formatRecord } from './prebuilt.mjs';

const say = (msg) => console.log(`dpl-torch: ${msg}`);
const torch = libTorchForBuild();
if (process.env.DPL_TORCH_BUILD_FROM_SOURCE === '1') {
  say('DPL_TORCH_BUILD_FROM_SOURCE=1: building from source');
} else {
  const r = chooseAddon({ prebuiltsOnly: true });
  if (r.chosen) {
    say(`using the prebuilt ${r.chosen.name}: ${r.chosen.why}; nothing to compile`);
    process.exit(0);
  }
  for (const p of r.prebuilts) say(`prebuilt ${p.name} (${formatRecord(p.meta)}) not used: ${p.refused}`);
  say(`no prebuilt addon fits ${r.published.length ? `(published: ${r.published.join(', ')})` : ''}; building from source`);
}
buildAddon(torch);
