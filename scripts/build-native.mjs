#!/usr/bin/env node
// Builds the native addon from source with cmake-js against the LibTorch that
// scripts/libtorch.mjs finds (LIBTORCH / Torch_DIR, a Python torch, the system).
// If none is found and we run as root on a Debian-family machine, apt installs it.
// `npm run build:native` runs this; `npm install` runs scripts/install.mjs, which
// builds only when no prebuilt addon fits; scripts/prebuild.mjs builds a prebuilt.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibTorch, formatLibTorch, LibTorchError } from './libtorch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`dpl-torch: ${msg}`);
const APT_PACKAGES = ['libtorch-dev', 'libopenblas0-pthread', 'python3-torchvision'];

function isDebianRoot() {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version') && spawnSync('apt-get', ['--version']).status === 0;
}

function aptInstall() {
  say(`no LibTorch found; installing ${APT_PACKAGES.join(' ')} with apt-get (running as root on Debian)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', ...APT_PACKAGES],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args[0]} failed (exit ${r.status})`);
  }
}

export function fail(msg) {
  console.error(`\ndpl-torch: cannot build the native addon: ${msg}\n
Get LibTorch by one of these routes, then run \`npm rebuild dpl-torch\` (or \`npm ci\` again):
  - Debian/Ubuntu:  sudo apt-get install ${APT_PACKAGES.join(' ')}
  - pip:            pip install torch   (the build then finds torch's cmake files)
  - LibTorch zip:   unzip libtorch-*.zip from https://pytorch.org/get-started/locally/ and set
                    LIBTORCH=/path/to/libtorch (CUDA builds need the CUDA toolkit and nvcc)
  - or set Torch_DIR to a folder holding TorchConfig.cmake
Building needs a C++17 compiler (g++) and cmake on PATH.\n`);
  process.exit(1);
}

// Debian's LibTorch calls libblas.so.3; without OpenBLAS that is the reference BLAS, 5-8x slower.
function warnAboutBlas(torchDir) {
  if (!torchDir.startsWith('/usr/lib')) return;
  try {
    const blas = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
    if (!blas.includes('openblas')) {
      say(`warning: libblas.so.3 is ${blas} (reference BLAS); install libopenblas0-pthread for 5-8x faster training`);
    }
  } catch {
    /* no libblas here: not Debian's layout */
  }
}

/** The LibTorch to build against, installing Debian's when allowed; exits with the remedy when none. */
export function libTorchForBuild() {
  let found;
  try {
    found = findLibTorch();
    if (!found && isDebianRoot()) {
      aptInstall();
      found = findLibTorch();
    }
  } catch (e) {
    if (e instanceof LibTorchError) fail(e.message);
    throw e;
  }
  if (!found) fail('no LibTorch found (LIBTORCH, Torch_DIR, a Python torch, or the system libtorch-dev)');
  if (!found.libDir) fail(`the LibTorch at ${found.cmakeDir} has no libraries (no libtorch.so next to it)`);
  return found;
}

// cmake-js runs cmake and the compiler; say which is missing instead of a cmake stack.
function checkTools() {
  const missing = ['cmake', process.env.CXX || 'c++'].filter((t) => spawnSync(t, ['--version']).error);
  if (missing.length) fail(`${missing.join(' and ')} not found on PATH`);
}

/**
 * Compiles dpl_torch.node into <out>/Release and records the LibTorch it was built
 * for beside it (dpl_torch.json, read by the loader). `skipRpath`: no rpath to the
 * build machine's LibTorch (prebuilts; the loader loads LibTorch's libraries itself).
 */
export function buildAddon(torch, { out = join(root, 'build'), skipRpath = false } = {}) {
  say(`building against ${formatLibTorch(torch)}`);
  warnAboutBlas(torch.cmakeDir);
  checkTools();
  const cmakeJs = join(dirname(fileURLToPath(import.meta.resolve('cmake-js/package.json'))), 'bin', 'cmake-js');
  const args = [cmakeJs, 'compile', '--directory', root, '--out', out, `--CDTorch_DIR=${torch.cmakeDir}`];
  if (skipRpath) args.push('--CDCMAKE_SKIP_RPATH=ON');
  // Torch's CMake files look for the CUDA toolkit when the LibTorch has CUDA.
  if (process.env.CUDACXX) args.push(`--CDCMAKE_CUDA_COMPILER=${process.env.CUDACXX}`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) fail(`cmake-js exited with ${r.status}; the compiler output above says why`);
  const addon = join(out, 'Release', 'dpl_torch.node');
  writeFileSync(join(out, 'Release', 'dpl_torch.json'), JSON.stringify({ libtorch: torch }, null, 2));
  say(`built ${addon}`);
  return addon;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) buildAddon(libTorchForBuild());
