#!/usr/bin/env node
// Builds a prebuilt addon against the LibTorch found (scripts/libtorch.mjs) and
// packs its platform package, @dpl-torch/<platform>-torch<X.Y>[-precxx11]: the
// addon alone, no LibTorch, with the LibTorch version, C++ ABI, CUDA-or-not and
// the libraries it links recorded in package.json (the loader reads them).
//
//   node scripts/prebuild.mjs [--out DIR] [--addon FILE] [--no-pack]
//     --out DIR     where the package folder and its .tgz go (default prebuilds/)
//     --addon FILE  pack this addon instead of compiling one; it must have been built for
//                   the LibTorch found (its dpl_torch.json says so), e.g. build/Release's
//   Tests of the loader's refusals only: --record-version X.Y.Z, --record-abi cxx11|pre-cxx11
//   record another LibTorch than the one built against (the name follows the record).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAddon, fail, libTorchForBuild } from './build-native.mjs';
import { formatLibTorch, majorMinor } from './libtorch.mjs';
import { ADDON_FILE, currentPlatform, packageRoot, prebuiltName } from './prebuilt.mjs';

/** The DT_NEEDED and DT_RUNPATH/DT_RPATH entries of a little-endian ELF64 shared library. */
export function elfDynamic(file) {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${file} is not a little-endian ELF64 file`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const segments = Array.from({ length: b.readUInt16LE(0x38) }, (_, i) => {
    const o = phoff + i * phentsize;
    return {
      type: b.readUInt32LE(o),
      offset: Number(b.readBigUInt64LE(o + 8)),
      vaddr: Number(b.readBigUInt64LE(o + 16)),
      size: Number(b.readBigUInt64LE(o + 32)),
    };
  });
  const dyn = segments.find((s) => s.type === 2);
  if (!dyn) return { needed: [], runpath: [] };
  const entries = [];
  for (let o = dyn.offset; o < dyn.offset + dyn.size; o += 16) {
    const tag = Number(b.readBigUInt64LE(o));
    if (tag === 0) break;
    entries.push({ tag, val: Number(b.readBigUInt64LE(o + 8)) });
  }
  // DT_STRTAB holds an address; the PT_LOAD segment containing it gives its file offset.
  const strtab = entries.find((e) => e.tag === 5).val;
  const load = segments.find((s) => s.type === 1 && strtab >= s.vaddr && strtab < s.vaddr + s.size);
  const str = (off) => {
    const start = strtab - load.vaddr + load.offset + off;
    return b.toString('utf8', start, b.indexOf(0, start));
  };
  return {
    needed: entries.filter((e) => e.tag === 1).map((e) => str(e.val)),
    runpath: entries.filter((e) => e.tag === 15 || e.tag === 29).map((e) => str(e.val)),
  };
}

function parse() {
  const { values } = parseArgs({
    strict: true,
    options: {
      out: { type: 'string', default: join(packageRoot, 'prebuilds') },
      addon: { type: 'string' },
      'no-pack': { type: 'boolean', default: false },
      'record-version': { type: 'string' },
      'record-abi': { type: 'string' },
    },
  });
  if (values['record-abi'] && !['cxx11', 'pre-cxx11'].includes(values['record-abi']))
    fail(`--record-abi must be cxx11 or pre-cxx11, got '${values['record-abi']}'`);
  if (values['record-version'] && !majorMinor(values['record-version']))
    fail(`--record-version must look like 2.5.1, got '${values['record-version']}'`);
  return values;
}

/** The addon to pack: the one given (checked against the LibTorch found) or a fresh build without rpath. */
function addonFor(torch, given) {
  if (!given) return buildAddon(torch, { out: join(packageRoot, 'build-prebuilt'), skipRpath: true });
  let built;
  try {
    built = JSON.parse(readFileSync(join(dirname(given), 'dpl_torch.json'), 'utf8')).libtorch;
  } catch {
    fail(`--addon ${given}: no dpl_torch.json beside it says which LibTorch it was built for; build it with npm run build:native`);
  }
  if (resolve(built.cmakeDir) !== resolve(torch.cmakeDir))
    fail(`--addon ${given} was built for ${formatLibTorch(built)}, not ${formatLibTorch(torch)}`);
  return given;
}

export function prebuild(values) {
  const torch = libTorchForBuild();
  const addon = addonFor(torch, values.addon);
  const { needed, runpath } = elfDynamic(addon);
  const record = {
    addon: ADDON_FILE,
    platform: currentPlatform(),
    torch: majorMinor(values['record-version'] ?? torch.version),
    torchVersion: values['record-version'] ?? torch.version,
    abi: values['record-abi'] ?? torch.abi,
    cuda: torch.cuda,
    cudaVersion: torch.cudaVersion,
    needs: needed,
    builtAgainst: formatLibTorch(torch),
  };
  if (!record.torch || !record.abi) fail(`cannot tell the version or C++ ABI of ${formatLibTorch(torch)}`);
  const main = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
  const name = prebuiltName({ version: record.torchVersion, abi: record.abi }, record.platform);
  const [os, cpu, libc] = record.platform.split('-');
  const dir = join(resolve(values.out), name.split('/')[1]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(addon, join(dir, ADDON_FILE));
  const what = `${os} ${cpu}${libc ? ` (${libc === 'gnu' ? 'glibc' : libc})` : ''} and ${record.torch === majorMinor(torch.version) ? '' : '(recorded, for tests) '}LibTorch ${record.torch} (${record.abi} ABI, ${record.cuda ? `CUDA ${record.cudaVersion ?? ''}`.trim() : 'CPU'})`;
  const pkg = {
    name,
    version: main.version,
    description: `dpl-torch's native addon for ${what}. LibTorch itself is not included: dpl-torch loads the one installed.`,
    license: main.license,
    os: [os],
    cpu: [cpu],
    ...(libc ? { libc: [libc === 'gnu' ? 'glibc' : libc] } : {}),
    files: [ADDON_FILE],
    dplTorch: record,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(dir, 'README.md'),
    `# ${name}\n\nThe compiled addon of [dpl-torch](https://www.npmjs.com/package/dpl-torch) for ${what}.\nInstalled with dpl-torch as an optional dependency; dpl-torch's loader picks it when the LibTorch it finds matches.\nBuilt against ${record.builtAgainst}; links ${needed.join(', ')}${runpath.length ? `; rpath ${runpath.join(':')}` : ''}.\n`,
  );
  console.log(`dpl-torch: ${name} in ${dir} (${record.builtAgainst}; links ${needed.filter((n) => /torch|c10/.test(n)).join(', ')})`);
  if (values['no-pack']) return { name, dir };
  const r = spawnSync('npm', ['pack', '--pack-destination', resolve(values.out)], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) fail(`npm pack in ${dir} failed: ${r.stderr}`);
  const tarball = join(resolve(values.out), r.stdout.trim().split('\n').at(-1));
  console.log(`dpl-torch: packed ${tarball}`);
  return { name, dir, tarball };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) prebuild(parse());
