// Which native addon this install runs, and how it is loaded.
//
// Prebuilt addons come in platform packages, @dpl-torch/<platform>-torch<X.Y>[-precxx11],
// each holding dpl_torch.node built against one LibTorch and no LibTorch itself
// (LibTorch's CUDA libraries are over 1 GB; npm refuses packages that large). The
// loader finds the user's LibTorch (scripts/libtorch.mjs), takes the prebuilt
// recorded for its version, ABI and CUDA-or-not, loads LibTorch's libraries from
// where it found them (so no LD_LIBRARY_PATH or rpath is needed), and loads the
// addon first in a child process, so an addon that does not fit is an error
// message and not a crash. Otherwise it falls back to the source build in
// build/Release, or explains the remedy. Plain JavaScript: the install script
// runs it before the TypeScript is compiled.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibTorch, formatLibTorch, LibTorchError, majorMinor } from './libtorch.mjs';

export const SCOPE = '@dpl-torch';
export const ADDON_FILE = 'dpl_torch.node';
const scriptsDir = dirname(fileURLToPath(import.meta.url));
export const packageRoot = dirname(scriptsDir);
export const BUILD_COMMAND = 'DPL_TORCH_BUILD_FROM_SOURCE=1 npm rebuild dpl-torch';

let platform;
/** 'linux-x64-gnu' here; npm's os/cpu/libc fields of a platform package say the same. */
export function currentPlatform() {
  if (platform) return platform;
  const glibc = process.platform === 'linux' ? process.report?.getReport().header.glibcVersionRuntime : undefined;
  platform = `${process.platform}-${process.arch}${process.platform === 'linux' ? (glibc ? '-gnu' : '-musl') : ''}`;
  return platform;
}

/**
 * The platform package for a LibTorch: '@dpl-torch/linux-x64-gnu-torch1.13'. LibTorch
 * 1.x-2.6 came in two C++ ABIs; the old one (pytorch.org's "Pre-cxx11 ABI" zips and
 * pip wheels before 2.7) gets '-precxx11'.
 */
export function prebuiltName({ version, abi }, platform = currentPlatform()) {
  return `${SCOPE}/${platform}-torch${majorMinor(version)}${abi === 'pre-cxx11' ? '-precxx11' : ''}`;
}

// LibTorch's own libraries among an addon's DT_NEEDED entries.
const isTorchLibrary = (name) => /^lib(torch|c10|caffe2|shm)[a-z0-9_]*\.so/.test(name);
// The C and C++ runtime: always the system's, never loaded by path.
const isRuntime = (name) => /^(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+)\.so|^ld-linux/.test(name);

/** Platform packages installed where Node would find them from the package root, nearest first. */
export function installedPrebuilts(root = packageRoot) {
  const found = new Map();
  for (let dir = root; ; dir = dirname(dir)) {
    const scope = join(dir, 'node_modules', SCOPE);
    let names = [];
    try {
      names = readdirSync(scope);
    } catch {
      /* none here */
    }
    for (const name of names) {
      const full = `${SCOPE}/${name}`;
      if (found.has(full)) continue;
      try {
        const pkg = JSON.parse(readFileSync(join(scope, name, 'package.json'), 'utf8'));
        if (pkg.dplTorch) found.set(full, { name: full, dir: join(scope, name), version: pkg.version, meta: pkg.dplTorch });
      } catch {
        /* not a platform package */
      }
    }
    if (dirname(dir) === dir) break;
  }
  return [...found.values()];
}

/** The platform packages the main package lists (what `npm install dpl-torch` may bring). */
export function publishedPrebuilts(root = packageRoot) {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    return Object.keys(pkg.optionalDependencies ?? {}).filter((n) => n.startsWith(`${SCOPE}/`));
  } catch {
    return [];
  }
}

/** 'LibTorch 1.13, cxx11 ABI, CPU' for a prebuilt's record. */
export function formatRecord(m) {
  return `LibTorch ${m.torch}, ${m.abi} ABI, ${m.cuda ? `CUDA ${m.cudaVersion ?? ''}`.trim() : 'CPU'}`;
}

/** Why a prebuilt cannot run with this LibTorch, or null when it fits. */
export function refusal(prebuilt, torch, platform = currentPlatform()) {
  const m = prebuilt.meta;
  if (m.platform !== platform) return `built for ${m.platform}, this machine is ${platform}`;
  if (!torch) return 'no LibTorch found to run it with';
  if (majorMinor(torch.version) !== m.torch)
    return `built for LibTorch ${m.torch}, the LibTorch found is ${torch.version ?? 'of unknown version'}`;
  if (torch.abi && torch.abi !== m.abi) return `built for the ${m.abi} C++ ABI, the LibTorch found uses the ${torch.abi} ABI`;
  if (m.cuda !== torch.cuda)
    return m.cuda
      ? 'built for a CUDA LibTorch, the LibTorch found is CPU-only'
      : 'built for a CPU LibTorch, the LibTorch found has CUDA (a source build uses it)';
  const cudaMajor = (v) => v?.split('.')[0];
  if (m.cuda && m.cudaVersion && torch.cudaVersion && cudaMajor(m.cudaVersion) !== cudaMajor(torch.cudaVersion)) {
    return `built for CUDA ${m.cudaVersion}, the LibTorch found is for CUDA ${torch.cudaVersion}`;
  }
  if (!torch.libDir) return `the LibTorch at ${torch.cmakeDir} has no libraries`;
  const missing = m.needs.filter(isTorchLibrary).filter((n) => !existsSync(join(torch.libDir, n)));
  if (missing.length)
    return `it needs ${missing.join(', ')}, which ${torch.libDir} lacks (a LibTorch ${m.torch} of another build: ${m.builtAgainst})`;
  return null;
}

/**
 * Where a prebuilt's other libraries (a CUDA build links libcudart and the like) may
 * be: beside LibTorch's (zips ship them there), and for a pip torch in site-packages/
 * nvidia/<package>/lib (where torch's own libraries find them through their rpath).
 */
function libraryDirs(torch) {
  const dirs = [torch.libDir];
  const nvidia = torch.pythonPackage && join(dirname(torch.pythonPackage), 'nvidia');
  const sub = (d) => {
    try {
      return readdirSync(d).map((e) => join(d, e));
    } catch {
      return [];
    }
  };
  for (const pkg of nvidia ? sub(nvidia) : []) dirs.push(join(pkg, 'lib'), ...sub(pkg).map((d) => join(d, 'lib')));
  return dirs.filter((d) => existsSync(d));
}

/**
 * The files to load before a prebuilt, in order: its non-LibTorch libraries found in
 * libraryDirs (others are left to the dynamic loader), then LibTorch's own, dependencies
 * first, so that the addon's DT_NEEDED entries find each already loaded by soname.
 */
function preloadList(needs, torch) {
  const dirs = libraryDirs(torch);
  const other = needs
    .filter((n) => !isTorchLibrary(n) && !isRuntime(n))
    .map((n) => dirs.map((d) => join(d, n)).find((f) => existsSync(f)))
    .filter(Boolean);
  const ORDER = ['libc10.', 'libc10_', 'libtorch_cpu', 'libtorch_cuda']; // then the rest (libtorch.so)
  const rank = (n) => {
    const i = ORDER.findIndex((p) => n.startsWith(p));
    return i < 0 ? ORDER.length : i;
  };
  const own = needs
    .filter(isTorchLibrary)
    .sort((a, b) => rank(a) - rank(b))
    .map((n) => join(torch.libDir, n));
  return [...other, ...own];
}

// glibc's RTLD_NODELETE: Node closes a library that registers no addon; this keeps it loaded.
const RTLD_NODELETE = 0x1000;

/**
 * Loads what `plan` names into this process: the libraries in plan.preload, in order
 * (preloadList), then the addon with RTLD_NOW (a missing symbol is an error, not a later
 * crash). plan: { addon, preload?: string[] of paths }. Returns the addon's exports.
 */
export function loadPlan(plan) {
  for (const file of plan.preload ?? []) {
    try {
      process.dlopen({ exports: {} }, file, constants.dlopen.RTLD_NOW | RTLD_NODELETE);
    } catch (e) {
      if (!/did not self-register/.test(e.message)) throw new Error(`cannot load LibTorch's ${file}: ${e.message}`);
    }
  }
  const module = { exports: {} };
  process.dlopen(module, plan.addon, constants.dlopen.RTLD_NOW);
  return module.exports;
}

const cacheFile = (env) => join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dpl-torch', 'probes.json');

// A probe's result holds while the addon and the libraries it loads are the same files.
function probeKey(plan) {
  const files = [plan.addon, ...(plan.preload ?? [])];
  const stats = files.map((f) => {
    try {
      const s = statSync(f);
      return `${realpathSync(f)}:${s.size}:${s.mtimeMs}`;
    } catch {
      return `${f}:missing`;
    }
  });
  return createHash('sha256')
    .update(JSON.stringify([process.execPath, process.version, stats]))
    .digest('hex');
}

function readCache(env) {
  try {
    return JSON.parse(readFileSync(cacheFile(env), 'utf8'));
  } catch {
    return {};
  }
}

function writeCache(env, key, value) {
  const file = cacheFile(env);
  try {
    mkdirSync(dirname(file), { recursive: true });
    const all = { ...readCache(env), [key]: value };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all));
    renameSync(tmp, file);
  } catch {
    /* a read-only home: probe again next time */
  }
}

/**
 * Loads `plan` in a child process first: { ok: true, info } with the addon's info(),
 * or { ok: false, error } saying why it failed or how it crashed. Successes are cached
 * (in ~/.cache/dpl-torch) while the files are unchanged.
 */
export function probe(plan, env = process.env) {
  const key = probeKey(plan);
  const cached = readCache(env)[key];
  if (cached) return { ...cached, cached: true };
  const r = spawnSync(process.execPath, [join(scriptsDir, 'probe-addon.mjs')], {
    input: JSON.stringify(plan),
    encoding: 'utf8',
    env,
    timeout: 180_000,
  });
  const last = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status === 0) {
    try {
      const result = { ok: true, info: JSON.parse(last) };
      writeCache(env, key, result);
      return result;
    } catch {
      /* fall through: unexpected output */
    }
  }
  const said = (r.stderr || r.stdout || '').trim().split('\n').filter(Boolean).slice(-3).join(' ');
  if (r.error) return { ok: false, error: `the probe could not run: ${r.error.message}` };
  if (r.signal)
    return {
      ok: false,
      error: `loading it crashed a child process (${r.signal}): the addon and this LibTorch do not fit${said ? ` (${said})` : ''}`,
    };
  const lib = said.match(/(lib[\w.+-]+\.so[\d.]*): cannot open shared object file/)?.[1];
  const hint = lib ? `; ${lib} is not where the dynamic loader looks: install what provides it or add its folder to LD_LIBRARY_PATH` : '';
  return { ok: false, error: (said || `the probe exited with ${r.status}`) + hint };
}

function sameDir(a, b) {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** The source build in build/Release, and the LibTorch build-native.mjs recorded for it. */
export function sourceBuild(root = packageRoot) {
  const path = join(root, 'build', 'Release', ADDON_FILE);
  let builtAgainst = null;
  try {
    builtAgainst = JSON.parse(readFileSync(join(root, 'build', 'Release', 'dpl_torch.json'), 'utf8')).libtorch;
  } catch {
    /* built before the record existed, or not at all */
  }
  return { path, exists: existsSync(path), builtAgainst };
}

/**
 * Picks the addon to load. Tries, in order: the source build when it was built for
 * the LibTorch found (or DPL_TORCH_BUILD_FROM_SOURCE=1), each installed prebuilt
 * that fits the LibTorch found, then the source build whatever it was built for.
 * Each candidate is probed in a child process. Returns everything it saw;
 * `chosen` is null and `message` explains when nothing loads.
 * options: { root, env, prebuiltsOnly (install time: only a prebuilt counts) }
 */
export function chooseAddon({ root = packageRoot, env = process.env, prebuiltsOnly = false } = {}) {
  const fromSource = env.DPL_TORCH_BUILD_FROM_SOURCE === '1';
  const r = {
    libtorch: null,
    problems: [],
    prebuilts: [],
    published: publishedPrebuilts(root),
    source: sourceBuild(root),
    fromSource,
    chosen: null,
    message: null,
  };
  try {
    r.libtorch = findLibTorch(env);
    if (!r.libtorch) r.problems.push('no LibTorch found (LIBTORCH, Torch_DIR, a Python torch, or the system libtorch-dev)');
    else if (!r.libtorch.libDir)
      r.problems.push(
        `the LibTorch at ${r.libtorch.cmakeDir} (${r.libtorch.route}) has no libraries: no libtorch.so in its lib/ folder (a headers-only copy, or an unpacked zip missing lib/)`,
      );
  } catch (e) {
    if (!(e instanceof LibTorchError)) throw e;
    r.problems.push(e.message);
  }
  const torch = r.libtorch?.libDir ? r.libtorch : null;
  const tries = [];
  const source = r.source.exists && !prebuiltsOnly ? { kind: 'source', path: r.source.path, plan: { addon: r.source.path } } : null;
  const sourceFits = source && (fromSource || (torch && r.source.builtAgainst && sameDir(r.source.builtAgainst.cmakeDir, torch.cmakeDir)));
  if (sourceFits) tries.push({ ...source, why: fromSource ? 'DPL_TORCH_BUILD_FROM_SOURCE=1' : `built from source for the LibTorch found` });
  if (!fromSource) {
    for (const p of installedPrebuilts(root)) {
      const entry = { name: p.name, dir: p.dir, meta: p.meta, refused: refusal(p, torch ?? r.libtorch) };
      r.prebuilts.push(entry);
      if (entry.refused) continue;
      const plan = { addon: join(p.dir, p.meta.addon), preload: preloadList(p.meta.needs, torch) };
      tries.push({
        kind: 'prebuilt',
        name: p.name,
        path: plan.addon,
        plan,
        entry,
        why: `its record (${formatRecord(p.meta)}) matches the LibTorch found`,
      });
    }
  }
  if (source && !sourceFits)
    tries.push({ ...source, fallback: true, why: r.prebuilts.length ? 'no prebuilt fits the LibTorch found' : 'no prebuilt installed' });
  for (const t of tries) {
    const result = probe(t.plan, env);
    if (result.ok) {
      r.chosen = { kind: t.kind, name: t.name, path: t.path, plan: t.plan, why: t.why, fallback: !!t.fallback, info: result.info };
      break;
    }
    if (t.entry) t.entry.refused = `it did not load: ${result.error}`;
    else r.source.error = result.error;
  }
  if (!r.chosen && !prebuiltsOnly) r.message = explain(r, root);
  return r;
}

/** One message: the LibTorch found, each prebuilt and why it was refused, the source build, the fix. */
export function explain(r, root = packageRoot) {
  const lines = ['dpl-torch: no native addon loads here.'];
  lines.push(`LibTorch: ${r.libtorch ? formatLibTorch(r.libtorch) : 'none found'}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  if (r.fromSource) lines.push('Prebuilt addons: skipped (DPL_TORCH_BUILD_FROM_SOURCE=1).');
  else if (r.prebuilts.length) {
    lines.push('Prebuilt addons installed:');
    for (const p of r.prebuilts) lines.push(`  ${p.name} (${formatRecord(p.meta)}): ${p.refused ?? 'fits'}`);
  } else lines.push(`Prebuilt addons installed: none (published: ${r.published.join(', ') || 'none'}).`);
  const src = relative(root, r.source.path);
  lines.push(`Source build: ${r.source.exists ? `${src} did not load: ${r.source.error}` : `none (${src} is missing)`}.`);
  const wanted = r.libtorch?.version ? prebuiltName(r.libtorch) : null;
  const fixes = [];
  if (r.problems.length) fixes.push('fix the LibTorch problem above (or unset LIBTORCH/Torch_DIR to use the system or Python one)');
  if (wanted && r.published.includes(wanted) && !r.prebuilts.some((p) => p.name === wanted))
    fixes.push(`install its prebuilt: npm install ${wanted}`);
  fixes.push(
    `build the addon for this LibTorch: ${BUILD_COMMAND} (in a checkout: npm run build:native; needs g++, cmake and LibTorch's headers)`,
  );
  fixes.push(
    `or install a LibTorch that a prebuilt is made for (${r.published.map((n) => n.replace(/^.*-torch/, '')).join(', ')}; README, "Getting LibTorch")`,
  );
  lines.push(`Fix: ${fixes.join('; ')}.`);
  return lines.join('\n');
}
