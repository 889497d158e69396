// The prebuilt path as a user meets it: `npm pack` dpl-torch and two platform packages
// (scripts/prebuild.mjs: the one for this LibTorch, and one recording LibTorch 2.5),
// `npm ci --offline` them into an empty project with no compiler or cmake on PATH,
// then doctor, a features call and a short `run --only similarity` there. Then, with
// the fitting prebuilt gone: the 2.5 one is refused with the remedy, the install
// script tries a source build (and says it has no compiler), and a source build is used.
//
// The prebuilt packs the addon this checkout built against the same LibTorch
// (build/Release, no rpath: see scripts/prebuild.mjs --addon) rather than compiling it
// twice. The project's lockfile pins the versions of this checkout's lockfile, so npm
// takes every dependency from its cache (filled by `npm ci`); better-sqlite3 gets its
// compiled binary as prebuild-install's local prebuild, as it would download one.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLibTorch, majorMinor } from '../scripts/libtorch.mjs';
import { prebuild } from '../scripts/prebuild.mjs';
import { currentPlatform, SCOPE, sourceBuild } from '../scripts/prebuilt.mjs';
import { LossNetwork } from '../src/loss-network.js';
import { packageRoot } from '../src/paths.js';
import { ResultsStore } from '../src/study/store.js';
import { TEST_MODELS } from './helpers/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'dpl-prebuilt-'));
const app = join(tmp, 'app');
const torch = findLibTorch()!;
const MAIN = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
const FITS = `${SCOPE}/${currentPlatform()}-torch${majorMinor(torch.version)}`;
const OTHER = `${SCOPE}/${currentPlatform()}-torch2.5`;

/** A PATH of the tools a user without a build toolchain has: node, npm, python3, a shell; no c++, g++, cmake, make. */
function toolsWithoutCompiler(): string {
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx', 'python3', 'sh', 'bash', 'tar', 'uname']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status === 0) symlinkSync(r.stdout.trim(), join(bin, tool));
  }
  return bin;
}

/** The project's package-lock.json: dpl-torch and the platform packages from their tarballs, the rest as this checkout locks it. */
function lockfile(deps: Record<string, string>): unknown {
  const lock = JSON.parse(readFileSync(join(packageRoot, 'package-lock.json'), 'utf8'));
  const root = lock.packages[''];
  const packages: Record<string, unknown> = { '': { name: 'app', version: '1.0.0', dependencies: deps } };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean }>)) {
    if (path && !entry.dev) packages[path] = entry;
  }
  packages['node_modules/dpl-torch'] = {
    version: MAIN.version,
    resolved: deps['dpl-torch'],
    hasInstallScript: true,
    license: MAIN.license,
    dependencies: root.dependencies,
    optionalDependencies: root.optionalDependencies,
    bin: root.bin,
    engines: root.engines,
  };
  for (const name of [FITS, OTHER]) {
    packages[`node_modules/${name}`] = {
      version: MAIN.version,
      resolved: deps[name],
      os: [process.platform],
      cpu: [process.arch],
      libc: ['glibc'],
      license: MAIN.license,
    };
  }
  return { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

let env: NodeJS.ProcessEnv;
const inApp = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd: app, env: { ...env, ...extra }, encoding: 'utf8', timeout: 600_000 });
const dplTorch = (args: string[], extra: NodeJS.ProcessEnv = {}) => inApp(join(app, 'node_modules', '.bin', 'dpl-torch'), args, extra);

beforeAll(() => {
  const source = sourceBuild(packageRoot);
  if (!source.exists || !existsSync(join(packageRoot, 'dist', 'index.js')))
    throw new Error('build the addon and dist first (npm ci; npm run build)');
  // The packages, as a release would make them.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], {
    cwd: packageRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const mainTgz = join(tmp, packed.trim().split('\n').at(-1)!);
  const fits = prebuild({ out: tmp, addon: source.path, 'no-pack': false });
  const other = prebuild({ out: join(tmp, 'other'), addon: source.path, 'record-version': '2.5.1', 'no-pack': false });
  expect([fits.name, other.name]).toEqual([FITS, OTHER]);
  // better-sqlite3's binary where prebuild-install looks before downloading.
  const sqlite = join(packageRoot, 'node_modules', 'better-sqlite3');
  const sqliteVersion = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')).version;
  mkdirSync(join(tmp, 'local-prebuilds'));
  execFileSync('tar', [
    'czf',
    join(
      tmp,
      'local-prebuilds',
      `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
    ),
    '-C',
    sqlite,
    'build/Release/better_sqlite3.node',
  ]);
  env = {
    ...process.env,
    PATH: toolsWithoutCompiler(),
    npm_config_better_sqlite3_local_prebuilds: join(tmp, 'local-prebuilds'),
    XDG_CACHE_HOME: join(tmp, 'cache'),
    DPL_TORCH_MODELS: TEST_MODELS,
    DPL_TORCH_QUICK_SCALE: 'tiny',
  };
  for (const k of ['LIBTORCH', 'Torch_DIR', 'DPL_TORCH_BUILD_FROM_SOURCE', 'CXX', 'CC']) delete env[k];
  mkdirSync(app);
  const deps = { 'dpl-torch': `file:${mainTgz}`, [FITS]: `file:${fits.tarball}`, [OTHER]: `file:${other.tarball}` };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockfile(deps), null, 2));
  const install = inApp('npm', ['ci', '--offline', '--foreground-scripts', '--no-audit', '--no-fund']);
  expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
  expect(install.stdout).toContain(
    `dpl-torch: using the prebuilt ${FITS}: its record (LibTorch ${majorMinor(torch.version)}, cxx11 ABI, CPU) matches the LibTorch found; nothing to compile`,
  );
});

describe('installed from tarballs, offline, without a compiler', () => {
  it('doctor says the prebuilt is loaded and why, and why the other one is not', () => {
    expect(spawnSync('sh', ['-c', 'command -v c++ || command -v g++ || command -v cmake'], { env }).status).not.toBe(0);
    const r = dplTorch(['doctor', '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.binary).toMatchObject({ kind: 'prebuilt', package: FITS, why: expect.stringMatching(/matches the LibTorch found/) });
    expect(report.addon).toBe(join(app, 'node_modules', FITS, 'dpl_torch.node'));
    expect(report.libtorch.version).toMatch(/^\d+\.\d+/);
    expect(report.prebuilts).toContainEqual({
      name: OTHER,
      record: 'LibTorch 2.5, cxx11 ABI, CPU',
      refused: `built for LibTorch 2.5, the LibTorch found is ${torch.version}`,
    });
    expect(report.models.networks.map((n: { architecture: string }) => n.architecture)).toContain('alexnet');
    expect(dplTorch(['doctor']).stdout).toContain(`  prebuilt ${FITS}: its record`);
  });

  it('computes the same features as the source build here', async () => {
    const script = `import { LossNetwork } from 'dpl-torch';
      const n = await LossNetwork.load('alexnet', { weights: 'random' });
      const x = { data: Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => (i % 251) / 251), shape: [2, 3, 64, 64] };
      const [f] = await n.features(x, [4]);
      console.log(JSON.stringify({ shape: f.shape, data: Array.from(f.data) }));`;
    const r = inApp('node', ['--input-type=module', '-e', script]);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    const net = await LossNetwork.load('alexnet', { modelsDir: TEST_MODELS, weights: 'random' });
    const [want] = await net.features(
      { data: Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => (i % 251) / 251), shape: [2, 3, 64, 64] },
      [4],
    );
    net.dispose();
    expect(got.shape).toEqual([2, 192, 7, 7]);
    expect(got.data).toEqual(Array.from(want!.data));
  });

  it('runs the similarity benchmark of the quick study', () => {
    const out = join(tmp, 'run');
    const r = dplTorch(['run', '--only', 'similarity', '--networks', 'alexnet', '--no-report', '--out', out]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const store = new ResultsStore(join(out, 'results.sqlite'));
    const runs = store.runs();
    store.close();
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((x) => x.benchmark === 'similarity' && x.status === 'done' && x.metrics['2afc.mean'] !== undefined)).toBe(true);
  });
});

describe('with no prebuilt for this LibTorch', () => {
  it('refuses the other version with the remedy, cannot build without a compiler, and uses a source build', () => {
    rmSync(join(app, 'node_modules', FITS), { recursive: true });
    const none = dplTorch(['doctor']);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('dpl-torch: no native addon loads here.');
    expect(none.stdout).toContain(`LibTorch: LibTorch ${torch.version} (cxx11 ABI, CPU) at ${torch.cmakeDir}`);
    expect(none.stdout).toContain(`${OTHER} (LibTorch 2.5, cxx11 ABI, CPU): built for LibTorch 2.5`);
    expect(none.stdout).toContain('DPL_TORCH_BUILD_FROM_SOURCE=1 npm rebuild dpl-torch');

    // npm's install script: no prebuilt fits, so it builds from source, which needs what is missing here.
    const rebuild = inApp('npm', ['rebuild', 'dpl-torch', '--offline', '--foreground-scripts']);
    expect(rebuild.status).not.toBe(0);
    expect(rebuild.stdout).toContain(`prebuilt ${OTHER} (LibTorch 2.5, cxx11 ABI, CPU) not used: built for LibTorch 2.5`);
    expect(rebuild.stdout).toContain('building from source');
    expect(rebuild.stderr).toContain('cannot build the native addon: cmake and c++ not found on PATH');

    // What `npm rebuild dpl-torch` builds where a compiler is: this checkout's source build of the same sources.
    const release = join(app, 'node_modules', 'dpl-torch', 'build', 'Release');
    mkdirSync(release, { recursive: true });
    for (const f of ['dpl_torch.node', 'dpl_torch.json']) copyFileSync(join(packageRoot, 'build', 'Release', f), join(release, f));
    const report = JSON.parse(dplTorch(['doctor', '--json']).stdout);
    expect(report.binary).toMatchObject({ kind: 'source', why: 'built from source for the LibTorch found' });
    expect(report.libtorch.version).toMatch(/^\d+\.\d+/);
    expect(report.prebuilts).toEqual([
      { name: OTHER, record: 'LibTorch 2.5, cxx11 ABI, CPU', refused: `built for LibTorch 2.5, the LibTorch found is ${torch.version}` },
    ]);
  });
});
