#!/usr/bin/env node
// Builds the native addon with cmake-js against a LibTorch found in this order:
//   1. LIBTORCH (an unpacked LibTorch zip) or Torch_DIR (a folder with TorchConfig.cmake)
//   2. an installed Python torch (its cmake prefix path)
//   3. the system (Debian/Ubuntu libtorch-dev)
// If none is found and we run as root on a Debian-family machine, apt installs it.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`dpl-torch: ${msg}`);
const APT_PACKAGES = ['libtorch-dev', 'libopenblas0-pthread', 'python3-torchvision'];
const SYSTEM_DIRS = ['/usr/lib/x86_64-linux-gnu/cmake/Torch', '/usr/lib/aarch64-linux-gnu/cmake/Torch',
  '/usr/local/lib/cmake/Torch', '/usr/lib/cmake/Torch', '/usr/share/cmake/Torch'];

const hasConfig = (dir) => existsSync(join(dir, 'TorchConfig.cmake'));

function fromEnv() {
  if (process.env.LIBTORCH) {
    const dir = join(process.env.LIBTORCH, 'share', 'cmake', 'Torch');
    if (!hasConfig(dir)) fail(`LIBTORCH=${process.env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake; point it at an unpacked LibTorch zip`);
    return { dir, route: 'LIBTORCH' };
  }
  if (process.env.Torch_DIR) {
    if (!hasConfig(process.env.Torch_DIR)) fail(`Torch_DIR=${process.env.Torch_DIR} has no TorchConfig.cmake`);
    return { dir: process.env.Torch_DIR, route: 'Torch_DIR' };
  }
  return null;
}

function fromPython() {
  const pythons = [process.env.DPL_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of pythons) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.utils.cmake_prefix_path)'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const dir = join(r.stdout.trim(), 'Torch');
    if (hasConfig(dir)) return { dir, route: `Python torch (${py})` };
  }
  return null;
}

function fromSystem() {
  const dir = SYSTEM_DIRS.find(hasConfig);
  return dir ? { dir, route: 'system LibTorch' } : null;
}

function isDebianRoot() {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version') &&
    spawnSync('apt-get', ['--version']).status === 0;
}

function aptInstall() {
  say(`no LibTorch found; installing ${APT_PACKAGES.join(' ')} with apt-get (running as root on Debian)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', ...APT_PACKAGES]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args[0]} failed (exit ${r.status})`);
  }
}

function fail(msg) {
  console.error(`\ndpl-torch: cannot build the native addon: ${msg}\n
Get LibTorch by one of these routes, then run \`npm rebuild dpl-torch\` (or \`npm ci\` again):
  - Debian/Ubuntu:  sudo apt-get install ${APT_PACKAGES.join(' ')}
  - pip:            pip install torch   (the build then finds torch's cmake files)
  - LibTorch zip:   unzip libtorch-*.zip from https://pytorch.org/get-started/locally/ and set
                    LIBTORCH=/path/to/libtorch (CUDA builds need the CUDA toolkit and nvcc)
  - or set Torch_DIR to a folder holding TorchConfig.cmake\n`);
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
  } catch { /* no libblas here: not Debian's layout */ }
}

let found = fromEnv() ?? fromPython() ?? fromSystem();
if (!found && isDebianRoot()) {
  aptInstall();
  found = fromSystem();
}
if (!found) fail('no LibTorch found (LIBTORCH, Torch_DIR, a Python torch, or the system libtorch-dev)');
say(`using ${found.route}: ${found.dir}`);
warnAboutBlas(found.dir);

const cmakeJs = join(dirname(fileURLToPath(import.meta.resolve('cmake-js/package.json'))), 'bin', 'cmake-js');
const args = [cmakeJs, 'compile', '--directory', root, `--CDTorch_DIR=${found.dir}`];
// Torch's CMake files look for the CUDA toolkit when the LibTorch has CUDA.
if (process.env.CUDACXX) args.push(`--CDCMAKE_CUDA_COMPILER=${process.env.CUDACXX}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (r.status !== 0) fail(`cmake-js exited with ${r.status}; the compiler output above says why`);
say(`built ${join(root, 'build', 'Release', 'dpl_torch.node')}`);
