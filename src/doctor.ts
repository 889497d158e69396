// What dpl-torch finds on this machine: LibTorch, devices, BLAS, Python, exports.
import { cpuCacheEnvProblem, cpuCacheStats } from './runtime.js';
import { canRead, readManifest, weightsId } from './manifest.js';
import { formatLibTorch } from '../scripts/libtorch.mjs';
import { formatRecord } from '../scripts/prebuilt.mjs';
import { addonChoice, addonPath, native } from './native.js';
import { modelsDir } from './paths.js';
import { findPythonTorch } from './python.js';

export interface DoctorReport {
  addon: string;
  /** Which binary the loader took and why (null: none loads; problems say why). */
  binary: { kind: 'prebuilt' | 'source'; package?: string; why: string; torchLibraries: string[] } | null;
  /** The LibTorch the loader found (LIBTORCH / Torch_DIR, a Python torch, the system). */
  found: string | null;
  /** Installed prebuilt addons and why each was not used (null: the one used, or fits). */
  prebuilts: { name: string; record: string; refused: string | null }[];
  libtorch?: { version: string; cmakeDir: string; builtWithCuda: boolean; mkldnn: boolean; threads: number; threadsSource: string };
  cuda?: { available: boolean; devices: number };
  blas?: { libraries: string[]; openblas: boolean; threads: number };
  /** The CPU tensor cache's cap in bytes (0: off). */
  cpuCacheLimit?: number;
  python: { python: string; torch: string; torchvision: string } | null;
  models: { dir: string; networks: { architecture: string; weights: string; torch: string; readable: boolean }[] };
  problems: string[];
}

export function doctor(): DoctorReport {
  const problems: string[] = [];
  const choice = addonChoice();
  const chosen = choice.chosen;
  const report: DoctorReport = {
    addon: addonPath(),
    binary: chosen ? { kind: chosen.kind, package: chosen.name, why: chosen.why, torchLibraries: chosen.info.torchLibraries ?? [] } : null,
    found: choice.libtorch ? formatLibTorch(choice.libtorch) : null,
    prebuilts: choice.prebuilts.map((p) => ({ name: p.name, record: formatRecord(p.meta), refused: p.refused })),
    python: findPythonTorch(),
    models: { dir: modelsDir(), networks: [] },
    problems,
  };
  problems.push(...choice.problems);
  let linked: string | undefined;
  try {
    const info = native().info();
    linked = info.torchVersion;
    // A prebuilt's compiled-in folder is the build machine's; it runs the LibTorch found here.
    const cmakeDir = chosen?.kind === 'prebuilt' && choice.libtorch ? choice.libtorch.cmakeDir : info.torchDir;
    report.libtorch = {
      version: info.torchVersion,
      cmakeDir,
      builtWithCuda: info.builtWithCuda,
      mkldnn: info.mkldnn,
      threads: info.threads,
      threadsSource: info.threadsSource,
    };
    report.cuda = { available: info.cudaAvailable, devices: info.cudaDevices };
    const openblas = info.blasLibraries.some((l) => /openblas|mkl/.test(l));
    report.blas = { libraries: info.blasLibraries, openblas, threads: info.blasThreads };
    if (!openblas && info.blasLibraries.length)
      problems.push('LibTorch uses the reference BLAS: install libopenblas0-pthread (5-8x faster)');
    report.cpuCacheLimit = cpuCacheStats().limitBytes;
    const cacheProblem = cpuCacheEnvProblem();
    if (cacheProblem) problems.push(cacheProblem);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (!report.python)
    problems.push('no Python with torch+torchvision for exports: apt-get install python3-torchvision, or set DPL_TORCH_PYTHON');
  try {
    for (const e of Object.values(readManifest(modelsDir()).networks)) {
      const readable = linked ? canRead(linked, e.torch) : false;
      report.models.networks.push({ architecture: e.architecture, weights: weightsId(e), torch: e.torch, readable });
      if (!readable) problems.push(`${e.architecture}.pt was exported by torch ${e.torch}; the linked LibTorch cannot read it: re-export`);
    }
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (!report.models.networks.length) problems.push(`no exported networks in ${modelsDir()}: run \`npx dpl-torch export-networks\``);
  return report;
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [`addon:       ${r.addon}`];
  if (r.binary) lines.push(`  ${r.binary.kind === 'prebuilt' ? `prebuilt ${r.binary.package}` : 'source build'}: ${r.binary.why}`);
  lines.push(`found:       ${r.found ?? 'no LibTorch'}`);
  for (const p of r.prebuilts) lines.push(`prebuilt:    ${p.name} (${p.record})${p.refused ? `: not used, ${p.refused}` : ''}`);
  if (r.libtorch) {
    lines.push(
      `LibTorch:    ${r.libtorch.version} (${r.libtorch.cmakeDir}), CUDA build: ${r.libtorch.builtWithCuda ? 'yes' : 'no'}, oneDNN: ${r.libtorch.mkldnn ? 'yes' : 'no'}, threads: ${r.libtorch.threads} (${r.libtorch.threadsSource})`,
    );
    if (r.binary?.torchLibraries.length) lines.push(`  libraries: ${r.binary.torchLibraries.join(', ')}`);
    lines.push(`CUDA:        ${r.cuda?.available ? `${r.cuda.devices} device(s)` : 'not available'}`);
    lines.push(
      `BLAS:        ${r.blas?.libraries.join(', ') || 'none loaded'}${r.blas?.threads ? ` (OpenBLAS threads: ${r.blas.threads})` : ''}`,
    );
    const mib = (r.cpuCacheLimit ?? 0) / 2 ** 20;
    lines.push(`CPU cache:   ${mib ? `up to ${mib} MiB of freed tensor memory kept for reuse` : 'off'} (DPL_TORCH_CPU_CACHE_MB)`);
  }
  lines.push(
    `Python:      ${r.python ? `${r.python.python} (torch ${r.python.torch}, torchvision ${r.python.torchvision})` : 'none with torch+torchvision'}`,
  );
  lines.push(`models:      ${r.models.dir}`);
  for (const n of r.models.networks)
    lines.push(`  ${n.architecture.padEnd(20)} ${n.weights.padEnd(40)} torch ${n.torch}${n.readable ? '' : '  (unreadable here)'}`);
  lines.push(r.problems.length ? `problems:\n${r.problems.map((p) => `  - ${p}`).join('\n')}` : 'problems:    none');
  return lines.join('\n');
}
