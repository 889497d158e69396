// The addon loader (scripts/prebuilt.mjs) on faults: each bad LibTorch or prebuilt
// gives one message naming what was found and the fix, nothing crashes the caller,
// and the source build still loads. Prebuilt packages here are made by
// scripts/prebuild.mjs from the source build (--addon), some recording another
// LibTorch than the one built against, in a package root of their own.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLibTorch } from '../scripts/libtorch.mjs';
import { prebuild } from '../scripts/prebuild.mjs';
import { chooseAddon, currentPlatform, SCOPE, sourceBuild } from '../scripts/prebuilt.mjs';
import { packageRoot } from '../src/paths.js';

const torch = findLibTorch()!;
const SOURCE = sourceBuild(packageRoot);
const tmp = mkdtempSync(join(tmpdir(), 'dpl-loader-'));
// Probe results are cached per user; these tests probe afresh.
const baseEnv = { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache') };
delete baseEnv.LIBTORCH;
delete baseEnv.Torch_DIR;
delete baseEnv.DPL_TORCH_BUILD_FROM_SOURCE;

/** A package root like an install's: package.json, node_modules/@dpl-torch/*, and the source build if asked. */
function makeRoot(name: string, withSource: boolean): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'node_modules', SCOPE), { recursive: true });
  copyFileSync(join(packageRoot, 'package.json'), join(root, 'package.json'));
  if (withSource) symlinkSync(join(packageRoot, 'build'), join(root, 'build'));
  return root;
}

/** A platform package packed from the source build into `root`, recording `record` (another LibTorch, for refusals). */
function addPrebuilt(root: string, record: { version?: string; abi?: string } = {}, addon = SOURCE.path): string {
  const { name, dir } = prebuild({
    out: join(root, 'node_modules', SCOPE),
    addon: SOURCE.path,
    'no-pack': true,
    'record-version': record.version,
    'record-abi': record.abi,
  });
  if (addon !== SOURCE.path) copyFileSync(addon, join(dir, 'dpl_torch.node'));
  return name;
}

/** A small shared library compiled here: one with a symbol LibTorch lacks, one that crashes while loading. */
function compile(name: string, source: string, link: string[] = []): string {
  const file = join(tmp, name.startsWith('lib') ? `${name}.so` : `${name}.node`);
  const r = spawnSync('c++', ['-shared', '-fPIC', '-o', file, '-x', 'c++', '-', ...link], { input: source, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`c++ failed: ${r.stderr}`);
  return file;
}

/**
 * This LibTorch's own files laid out like pytorch.org's zip (lib/, share/cmake/Torch)
 * at a path the dynamic loader never searches (hard links where possible).
 */
function relocatedLibTorch(): string {
  const zip = join(tmp, 'libtorch');
  if (existsSync(zip)) return zip;
  mkdirSync(join(zip, 'lib'), { recursive: true });
  cpSync(torch.cmakeDir, join(zip, 'share', 'cmake', 'Torch'), { recursive: true });
  for (const f of readdirSync(torch.libDir!).filter((f) => /^lib(torch|torch_cpu|c10)\.so/.test(f))) {
    try {
      linkSync(join(torch.libDir!, f), join(zip, 'lib', f));
    } catch {
      cpSync(join(torch.libDir!, f), join(zip, 'lib', f), { verbatimSymlinks: true });
    }
  }
  return zip;
}

beforeAll(() => {
  if (!SOURCE.exists) throw new Error(`${SOURCE.path} is missing: npm run build:native`);
  if (!SOURCE.builtAgainst)
    throw new Error('build/Release/dpl_torch.json is missing: rebuild with npm run build:native (it records the LibTorch)');
});

describe('the loader picks a prebuilt that fits, else the source build', () => {
  it('loads a fitting prebuilt and says why; DPL_TORCH_BUILD_FROM_SOURCE=1 takes the source build', () => {
    const root = makeRoot('fits', true);
    const name = addPrebuilt(root);
    // The source build here was made for this LibTorch, so it comes first; without it, the prebuilt.
    expect(chooseAddon({ root, env: baseEnv }).chosen).toMatchObject({ kind: 'source', why: 'built from source for the LibTorch found' });
    const bare = makeRoot('fits-bare', false);
    addPrebuilt(bare);
    const r = chooseAddon({ root: bare, env: baseEnv });
    expect(r.chosen).toMatchObject({
      kind: 'prebuilt',
      name,
      why: expect.stringMatching(/record \(LibTorch \d+\.\d+, cxx11 ABI, CPU\) matches/),
    });
    expect(r.chosen!.info).toMatchObject({ torchVersion: expect.stringMatching(/^\d+\.\d+/) });
    const forced = chooseAddon({ root, env: { ...baseEnv, DPL_TORCH_BUILD_FROM_SOURCE: '1' } });
    expect(forced.chosen).toMatchObject({ kind: 'source', why: 'DPL_TORCH_BUILD_FROM_SOURCE=1' });
    expect(forced.prebuilts).toEqual([]);
  });

  it('refuses a prebuilt of another LibTorch version or C++ ABI by its record and uses the source build', () => {
    const root = makeRoot('other', false);
    symlinkSync(join(packageRoot, 'build'), join(root, 'build'));
    const version = addPrebuilt(root, { version: '2.5.1' });
    const abi = addPrebuilt(root, { abi: torch.abi === 'cxx11' ? 'pre-cxx11' : 'cxx11' });
    const r = chooseAddon({ root, env: baseEnv });
    expect(r.chosen).toMatchObject({ kind: 'source' });
    const refused = Object.fromEntries(r.prebuilts.map((p) => [p.name, p.refused]));
    expect(refused[version]).toBe(`built for LibTorch 2.5, the LibTorch found is ${torch.version}`);
    expect(refused[abi]).toMatch(/^built for the (pre-)?cxx11 C\+\+ ABI, the LibTorch found uses the (pre-)?cxx11 ABI$/);
  });

  it('without a source build, one message names the LibTorch found, each prebuilt refused and the fix', () => {
    const root = makeRoot('nothing', false);
    addPrebuilt(root, { version: '2.5.1' });
    const r = chooseAddon({ root, env: baseEnv });
    expect(r.chosen).toBeNull();
    expect(r.message).toContain(`LibTorch: LibTorch ${torch.version} (cxx11 ABI, CPU) at ${torch.cmakeDir}`);
    expect(r.message).toContain(`${SCOPE}/${currentPlatform()}-torch2.5 (LibTorch 2.5, cxx11 ABI, CPU): built for LibTorch 2.5`);
    expect(r.message).toMatch(/Source build: none \(build\/Release\/dpl_torch.node is missing\)/);
    expect(r.message).toContain(
      `Fix: install its prebuilt: npm install ${SCOPE}/${currentPlatform()}-torch${torch.version!.split('.').slice(0, 2).join('.')}; ` +
        'build the addon for this LibTorch: DPL_TORCH_BUILD_FROM_SOURCE=1 npm rebuild dpl-torch',
    );
  });

  it('a prebuilt with a symbol LibTorch lacks, a library the loader cannot find, or a crash while loading is refused in a child process', () => {
    // Both record this LibTorch: only loading them shows they do not fit.
    const missing = makeRoot('missing-symbol', false);
    addPrebuilt(missing, {}, compile('missing', 'extern void dpl_not_in_libtorch(); void f() { dpl_not_in_libtorch(); }'));
    const r = chooseAddon({ root: missing, env: baseEnv });
    expect(r.chosen).toBeNull();
    expect(r.prebuilts[0]!.refused).toMatch(/^it did not load: .*undefined symbol: .*dpl_not_in_libtorch/);
    // A library found only through LD_LIBRARY_PATH, which is unset: the message names it and the fix.
    compile('libdplgone', 'void dpl_gone() {}');
    const gone = makeRoot('gone', false);
    addPrebuilt(gone, {}, compile('gone', 'void dpl_gone(); void g() { dpl_gone(); }', [`-L${tmp}`, '-ldplgone']));
    const env = { ...baseEnv };
    delete env.LD_LIBRARY_PATH;
    expect(chooseAddon({ root: gone, env }).prebuilts[0]!.refused).toMatch(
      /^it did not load: .*libdplgone\.so: cannot open shared object file.*; libdplgone\.so is not where the dynamic loader looks: install what provides it or add its folder to LD_LIBRARY_PATH$/,
    );
    const crash = makeRoot('crash', true);
    addPrebuilt(crash, {}, compile('crash', '__attribute__((constructor)) static void boom() { *(volatile int*)0 = 0; }'));
    const c = chooseAddon({ root: crash, env: { ...baseEnv, LIBTORCH: relocatedLibTorch() } });
    expect(c.prebuilts[0]!.refused).toMatch(/^it did not load: loading it crashed a child process \(SIGSEGV\)/);
    expect(c.chosen).toMatchObject({ kind: 'source', why: 'no prebuilt fits the LibTorch found' });
  });
});

describe('LibTorch faults', () => {
  it('LIBTORCH naming a missing folder: the message says so, the source build still loads', () => {
    const root = makeRoot('missing-libtorch', true);
    addPrebuilt(root);
    const env = { ...baseEnv, LIBTORCH: join(tmp, 'no-such-libtorch') };
    const r = chooseAddon({ root, env });
    expect(r.problems).toEqual([
      `LIBTORCH=${env.LIBTORCH} has no share/cmake/Torch/TorchConfig.cmake; point it at an unpacked LibTorch zip`,
    ]);
    expect(r.prebuilts[0]!.refused).toBe('no LibTorch found to run it with');
    expect(r.chosen).toMatchObject({ kind: 'source', why: 'no prebuilt fits the LibTorch found' });
    const none = chooseAddon({ root: makeRoot('missing-libtorch-bare', false), env });
    expect(none.message).toMatch(/problem: LIBTORCH=.* has no share\/cmake\/Torch\/TorchConfig.cmake/);
    expect(none.message).toMatch(/Fix: fix the LibTorch problem above/);
  });

  it('a LibTorch folder without libraries: named, with the fix', () => {
    const fake = join(tmp, 'headers-only');
    cpSync(torch.cmakeDir, join(fake, 'share', 'cmake', 'Torch'), { recursive: true });
    const root = makeRoot('no-libs', false);
    addPrebuilt(root);
    const r = chooseAddon({ root, env: { ...baseEnv, LIBTORCH: fake } });
    expect(r.problems[0]).toMatch(new RegExp(`^the LibTorch at ${fake}/share/cmake/Torch \\(LIBTORCH\\) has no libraries: no libtorch.so`));
    expect(r.prebuilts[0]!.refused).toBe(`the LibTorch at ${fake}/share/cmake/Torch has no libraries`);
    expect(r.chosen).toBeNull();
    expect(r.message).toContain('no libtorch.so in its lib/ folder');
  });

  it('LD_LIBRARY_PATH unset and LibTorch outside the system folders: the prebuilt loads its libraries from where LIBTORCH says', () => {
    const zip = relocatedLibTorch();
    const root = makeRoot('relocated', true);
    const name = addPrebuilt(root);
    const env = { ...baseEnv, LIBTORCH: zip };
    delete env.LD_LIBRARY_PATH;
    const r = chooseAddon({ root, env });
    // The source build was made for the system LibTorch; the prebuilt fits this one and goes first.
    expect(r.chosen).toMatchObject({ kind: 'prebuilt', name });
    const libs = r.chosen!.info.torchLibraries as string[];
    expect(libs.some((l) => /libtorch_cpu/.test(l))).toBe(true);
    expect(libs.filter((l) => !l.startsWith(join(zip, 'lib')))).toEqual([]);
  });
});
