// Finds the LibTorch on this machine and reads what an addon must match: its
// version, C++ ABI, CUDA-or-not, and the folder holding its libraries. One
// finder for the source build (scripts/build-native.mjs) and the loader of
// prebuilt addons (scripts/prebuilt.mjs), so both take the same LibTorch.
// Order:
//   1. LIBTORCH (an unpacked LibTorch zip) or Torch_DIR (a folder with TorchConfig.cmake)
//   2. an installed Python torch (DPL_TORCH_PYTHON, python3, /usr/bin/python3)
//   3. the system (Debian/Ubuntu libtorch-dev)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SYSTEM_DIRS = [
  '/usr/lib/x86_64-linux-gnu/cmake/Torch',
  '/usr/lib/aarch64-linux-gnu/cmake/Torch',
  '/usr/local/lib/cmake/Torch',
  '/usr/lib/cmake/Torch',
  '/usr/share/cmake/Torch',
];

/** A bad LIBTORCH or Torch_DIR: the user named a LibTorch that is not there. */
export class LibTorchError extends Error {}

const hasConfig = (dir) => existsSync(join(dir, 'TorchConfig.cmake'));
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

function fromEnv(env) {
  if (env.LIBTORCH) {
    const dir = join(env.LIBTORCH, 'share', 'cmake', 'Torch');
    if (!hasConfig(dir))
      throw new LibTorchError(`LIBTORCH=${env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake; point it at an unpacked LibTorch zip`);
    return { cmakeDir: dir, route: 'LIBTORCH' };
  }
  if (env.Torch_DIR) {
    if (!hasConfig(env.Torch_DIR)) throw new LibTorchError(`Torch_DIR=${env.Torch_DIR} has no TorchConfig.cmake`);
    return { cmakeDir: env.Torch_DIR, route: 'Torch_DIR' };
  }
  return null;
}

// find_spec locates the torch package without importing it (an import takes seconds).
const FIND_TORCH = 'import importlib.util as u; s = u.find_spec("torch"); print(s.submodule_search_locations[0] if s else "")';

function fromPython(env) {
  const pythons = [...new Set([env.DPL_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean))];
  for (const py of pythons) {
    const r = spawnSync(py, ['-c', FIND_TORCH], { encoding: 'utf8', env });
    const pkg = r.status === 0 ? r.stdout.trim() : '';
    if (!pkg) continue;
    const dir = join(pkg, 'share', 'cmake', 'Torch');
    // Debian's python3-torch has no CMake files; its LibTorch is the system one.
    if (hasConfig(dir)) return { cmakeDir: dir, route: `Python torch (${py})`, pythonPackage: pkg };
  }
  return null;
}

function fromSystem() {
  const dir = SYSTEM_DIRS.find(hasConfig);
  return dir ? { cmakeDir: dir, route: 'system LibTorch' } : null;
}

/** The folder holding libtorch.so (zip and pip: <prefix>/lib; Debian: next to cmake/). */
function libraryDir(cmakeDir) {
  const candidates = [resolve(cmakeDir, '..', '..', '..', 'lib'), resolve(cmakeDir, '..', '..')];
  return (
    candidates.find((d) => {
      try {
        return readdirSync(d).some((f) => /^libtorch\.so(\.|$)/.test(f));
      } catch {
        return false;
      }
    }) ?? null
  );
}

function readVersion(cmakeDir, pythonPackage) {
  // The Python package's own record is the most exact ('2.11.0+cu130').
  const py = pythonPackage && read(join(pythonPackage, 'version.py'));
  const fromPy = py?.match(/^__version__\s*=\s*['"]([^'"]+)['"]/m)?.[1];
  if (fromPy) return fromPy;
  const zip = read(resolve(cmakeDir, '..', '..', '..', 'build-version'))?.trim();
  if (zip) return zip;
  return read(join(cmakeDir, 'TorchConfigVersion.cmake'))?.match(/PACKAGE_VERSION\s+"([^"]+)"/)?.[1] ?? null;
}

/** 'cxx11' or 'pre-cxx11', from the flag TorchConfig.cmake asks dependents to compile with. */
function readAbi(cmakeDir) {
  const flag = read(join(cmakeDir, 'TorchConfig.cmake'))?.match(/_GLIBCXX_USE_CXX11_ABI=([01])/)?.[1];
  return flag === '1' ? 'cxx11' : flag === '0' ? 'pre-cxx11' : null;
}

/** The CUDA version a LibTorch was built for ('13.0'), from torch/version.py or a '+cu130' suffix. */
function readCudaVersion(version, pythonPackage) {
  const py = pythonPackage && read(join(pythonPackage, 'version.py'));
  const fromPy = py?.match(/^cuda\b[^=\n]*=\s*['"]([\d.]+)['"]/m)?.[1];
  if (fromPy) return fromPy;
  const cu = version?.match(/\+cu(\d+)(\d)$/);
  return cu ? `${cu[1]}.${cu[2]}` : null;
}

/** 'X.Y' of a version string, or null. */
export const majorMinor = (version) =>
  version
    ?.match(/^(\d+)\.(\d+)/)
    ?.slice(1, 3)
    .join('.') ?? null;

/**
 * Describes a LibTorch given its CMake folder: version, ABI, CUDA, library folder
 * (null when the folder holds no libtorch.so: headers or CMake files alone).
 */
export function describeLibTorch(found) {
  const libDir = libraryDir(found.cmakeDir);
  const libs = libDir ? readdirSync(libDir) : [];
  const version = readVersion(found.cmakeDir, found.pythonPackage);
  const cuda = libs.some((f) => /^libtorch_cuda\.so(\.|$)/.test(f));
  return {
    ...found,
    version,
    abi: readAbi(found.cmakeDir),
    cuda,
    cudaVersion: cuda ? readCudaVersion(version, found.pythonPackage) : null,
    libDir,
  };
}

/**
 * The LibTorch the build and the loader use, described; null when there is none.
 * Throws LibTorchError when LIBTORCH or Torch_DIR names a folder without LibTorch.
 */
export function findLibTorch(env = process.env) {
  const found = fromEnv(env) ?? fromPython(env) ?? fromSystem();
  return found ? describeLibTorch(found) : null;
}

/** One line: 'LibTorch 1.13.0 (cxx11 ABI, CPU) at /usr/lib/x86_64-linux-gnu/cmake/Torch (system LibTorch)'. */
export function formatLibTorch(t) {
  const what = [t.abi ? `${t.abi} ABI` : 'ABI unknown', t.cuda ? `CUDA${t.cudaVersion ? ` ${t.cudaVersion}` : ''}` : 'CPU'].join(', ');
  return `LibTorch ${t.version ?? '(version unknown)'} (${what}) at ${t.cmakeDir} (${t.route})`;
}
