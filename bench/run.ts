// `npm run bench`: dpl-torch against Python PyTorch on the same LibTorch.
// See bench/README.md for what is timed and how to read the output.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportNetworks, readManifest, STUDY_NETWORK_NAMES, STUDY_NETWORKS } from '../dist/index.js';
import { native } from '../dist/native.js';
import { findPythonTorch } from '../dist/python.js';
import {
  BENCHMARK_STEPS,
  benchmarkEntries,
  lossNetworkEntry,
  type Amp,
  type BenchContext,
  type BenchEntry,
  type StepTimes,
} from './entries.js';
import { runAsUser } from './as-user.js';
import { PythonStep } from './python.js';
import { geomean, l2RelativeError, median, relativeError, signTestP } from './stats.js';

const USAGE = `npm run bench -- [options]
  --as-user           speed as a user meets it: the public perceptualLoss with grad from a plain script
                      against a plain Python script, both at their defaults (no thread settings or
                      variables), plain and fast, wall clock; uses --networks, --batch, --size, --reps
                      (here default 5), --warmup, --python, --models, --json (bench/README.md);
                      with --threads N both sides start with OMP_NUM_THREADS=N (like with like)
  --gap-ms N          --as-user: idle milliseconds before each timed step (default 300; lets the
                      other process's spinning OpenMP/OpenBLAS workers park)
  --networks a,b      loss networks (default: the study's 14)
  --all-layers        each network at all 4 study layers in one step (default: the deepest)
  --benchmarks        also time the benchmarks' training steps (those implemented)
  --only-benchmarks   only those
  --steps a,b         which benchmark steps (default all): super-resolution, similarity, delineation, autoencoder
  --sim-network A     the similarity step's loss network, at its 4 study layers (default alexnet)
  --sim-batch N       2AFC triplets per similarity step (default 64; the spec trains with 256)
  --batch N --size S  images per step and their side (default 4, 128)
  --reps N            timed repetitions per side, alternating (default 3); --warmup N (default 4)
  --device D          cpu | cuda | cuda:N (default cpu)
  --amp M             none | bf16 | fp16: autocast on both sides (default none)
  --threads N         intra-op threads on both sides (default: each side's own default)
  --tf32 on|off       CUDA fp32 convolutions/matmuls in TF32 on both sides (default: PyTorch's default)
  --variants a,b      native variants (default plain,fast): api (public perceptualLoss, fp32),
                      api-device (the same with DeviceTensors: batches and gradient kept on the device),
                      plain, fast (frozen, channels-last where 1x1 convolutions), fast-cl (frozen,
                      always channels-last), fast-nchw (frozen, never channels-last)
  --py-model M        torchvision | torchscript (default torchvision)
  --py-blas-threads N OpenBLAS threads for Python (OPENBLAS_NUM_THREADS; default: OpenBLAS's own,
                      the core count, as a user's Python runs; dpl-torch keeps it at 1)
  --python P          the Python with torch (default: found like export-networks)
  --models DIR        exports folder (default .cache/bench-models; missing ones are exported, random init)
  --json FILE         also write the results as JSON`;

interface Row {
  name: string;
  images: number;
  /** Median wall seconds per step. */
  python: number;
  native: Record<string, number>;
  /** Median process CPU seconds per step. */
  pythonCpu: number;
  nativeCpu: Record<string, number>;
  /** Repetitions in which the native step took less process CPU time than Python's step next to it. */
  cpuWins: Record<string, number>;
  reps: number;
  lossRelDiff: number;
  gradRelDiff: number;
  amp?: { nativeLoss: number; nativeGrad: number; pythonLoss: number; pythonGrad: number };
  threads: { python: number; native: number };
}

function parse() {
  const { values } = parseArgs({
    options: {
      networks: { type: 'string' },
      'as-user': { type: 'boolean', default: false },
      'gap-ms': { type: 'string', default: '300' },
      'all-layers': { type: 'boolean', default: false },
      benchmarks: { type: 'boolean', default: false },
      'only-benchmarks': { type: 'boolean', default: false },
      steps: { type: 'string' },
      'sim-network': { type: 'string', default: 'alexnet' },
      'sim-batch': { type: 'string', default: '64' },
      batch: { type: 'string', default: '4' },
      size: { type: 'string', default: '128' },
      reps: { type: 'string' },
      warmup: { type: 'string', default: '4' },
      device: { type: 'string', default: 'cpu' },
      amp: { type: 'string', default: 'none' },
      threads: { type: 'string', default: '0' },
      tf32: { type: 'string' },
      variants: { type: 'string', default: 'plain,fast' },
      'py-model': { type: 'string', default: 'torchvision' },
      'py-blas-threads': { type: 'string', default: '0' },
      python: { type: 'string' },
      models: { type: 'string', default: '.cache/bench-models' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const amp = values.amp as Amp;
  if (!['none', 'bf16', 'fp16'].includes(amp)) throw new Error(`--amp must be none, bf16 or fp16, got '${amp}'`);
  const pyModel = values['py-model'] as BenchContext['pyModel'];
  if (!['torchvision', 'torchscript'].includes(pyModel)) throw new Error('--py-model must be torchvision or torchscript');
  const networks = values.networks
    ? values.networks
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : STUDY_NETWORK_NAMES;
  for (const n of networks) {
    if (!STUDY_NETWORKS[n]) throw new Error(`--networks: '${n}' is not a study network (${STUDY_NETWORK_NAMES.join(', ')})`);
  }
  if (!STUDY_NETWORKS[values['sim-network']]) throw new Error(`--sim-network: '${values['sim-network']}' is not a study network`);
  const steps = values.steps
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of steps ?? []) {
    if (!(BENCHMARK_STEPS as readonly string[]).includes(s))
      throw new Error(`--steps: '${s}' is not a benchmark step (${BENCHMARK_STEPS.join(', ')})`);
  }
  if (values.tf32 !== undefined && !['on', 'off'].includes(values.tf32)) throw new Error("--tf32 must be 'on' or 'off'");
  return {
    asUser: values['as-user'],
    gapMs: int('gap-ms', values['gap-ms'], 0),
    tf32: values.tf32 === undefined ? undefined : values.tf32 === 'on',
    networks,
    allLayers: values['all-layers'],
    benchmarks: values.benchmarks || values['only-benchmarks'],
    onlyBenchmarks: values['only-benchmarks'],
    steps,
    simNetwork: values['sim-network'],
    simBatch: int('sim-batch', values['sim-batch'], 1),
    batch: int('batch', values.batch, 1),
    size: int('size', values.size, 32),
    // --as-user: medians over at least 5 (the rule); the like-with-like bench keeps 3.
    reps: int('reps', values.reps ?? (values['as-user'] ? '5' : '3'), 1),
    warmup: int('warmup', values.warmup, 0),
    device: values.device,
    amp,
    threads: int('threads', values.threads, 0),
    variants: values.variants
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    pyModel,
    pyBlasThreads: int('py-blas-threads', values['py-blas-threads'], 0),
    python: values.python,
    models: resolve(values.models),
    json: values.json,
  };
}

async function ensureExports(dir: string, archs: string[]): Promise<void> {
  const have = existsSync(join(dir, 'manifest.json')) ? readManifest(dir).networks : {};
  const missing = archs.filter((a) => have[a]?.weights !== 'random' || !existsSync(join(dir, `${a}.pt`)));
  if (!missing.length) return;
  console.log(`exporting ${missing.length} networks (seeded random init; speed does not depend on weight values) into ${dir}`);
  await exportNetworks({ architectures: missing, weights: 'random', seed: 0, out: dir });
}

async function benchEntry(
  entry: BenchEntry,
  ctx: BenchContext,
  python: string,
  pyEnv: Record<string, string>,
  reps: number,
  warmup: number,
): Promise<Row> {
  const prepared = await entry.prepare(ctx);
  const py = new PythonStep(python, pyEnv);
  try {
    const loaded = await py.request<{ threads: number }>({
      op: 'load',
      ...prepared.python,
      device: ctx.device,
      amp: ctx.amp,
      threads: ctx.threads || undefined,
      model: ctx.pyModel,
      ...(ctx.tf32 === undefined ? {} : { tf32: ctx.tf32 }),
    });
    const sides = Object.entries(prepared.native);
    const pyTime = () => py.request<StepTimes>({ op: 'time', steps: 1 });
    // Warm-up: TorchScript's profiling executor optimises on the first runs; Python allocator caches fill.
    let nativeThreads = 0;
    for (let w = 0; w < warmup; w++) {
      for (const [, s] of sides) await s.time(1);
      await pyTime();
    }
    const first = sides.find(([, s]) => s.fp32)?.[1];
    if (first?.fp32) nativeThreads = (await first.fp32()).threads ?? 0;
    const times: Record<string, number[]> = { python: [] };
    const cpu: Record<string, number[]> = { python: [] };
    for (const [name] of sides) [times[name], cpu[name]] = [[], []];
    for (let r = 0; r < reps; r++) {
      // Alternate which side goes first, so neither always runs on a warmer cache.
      const order: [string, () => Promise<StepTimes>][] = [
        ...sides.map(([name, s]): [string, () => Promise<StepTimes>] => [name, () => s.time(1)]),
        ['python', pyTime],
      ];
      if (r % 2) order.reverse();
      for (const [name, run] of order) {
        const t = await run();
        times[name]!.push(...t.seconds);
        cpu[name]!.push(...t.cpu);
      }
    }
    // Equal work: Python's loss and gradient against the native step's.
    const dir = ctx.workDir;
    const timing = {
      name: entry.name,
      images: prepared.images,
      python: median(times.python!),
      pythonCpu: median(cpu.python!),
      native: Object.fromEntries(sides.map(([name]) => [name, median(times[name]!)])),
      nativeCpu: Object.fromEntries(sides.map(([name]) => [name, median(cpu[name]!)])),
      // Paired: each repetition's native step against the Python step run beside it, so slow
      // drifts of the machine's load cancel; a sign test on these says whether a ratio
      // near 1.0 is a difference or noise.
      cpuWins: Object.fromEntries(sides.map(([name]) => [name, cpu[name]!.filter((c, r) => c < cpu.python![r]!).length])),
      reps,
      threads: { python: loaded.threads, native: nativeThreads },
    };
    if (prepared.comparable === false) return { ...timing, lossRelDiff: NaN, gradRelDiff: NaN };
    const pyCheck = await py.request<{ loss: number; shape?: number[] }>({ op: 'check', out: dir });
    const pyGrad = pyCheck.shape ? readF32(join(dir, 'grad.f32')) : undefined;
    const reference = first?.fp32 ? await first.fp32() : await sides[0]![1].check();
    const row: Row = {
      ...timing,
      lossRelDiff: Math.abs(pyCheck.loss - reference.loss) / Math.abs(reference.loss),
      gradRelDiff: pyGrad && reference.grad ? relativeError(pyGrad, reference.grad.data) : NaN,
    };
    if (ctx.amp !== 'none' && first?.fp32) {
      // Numerical distance of mixed precision from fp32, on both sides.
      const amped = await first.check();
      row.amp = {
        nativeLoss: Math.abs(amped.loss - reference.loss) / Math.abs(reference.loss),
        nativeGrad: amped.grad ? l2RelativeError(amped.grad.data, reference.grad!.data) : NaN,
        pythonLoss: row.lossRelDiff,
        pythonGrad: pyGrad && reference.grad ? l2RelativeError(pyGrad, reference.grad.data) : NaN,
      };
    }
    return row;
  } finally {
    await py.close();
    prepared.dispose();
  }
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : '-');

function printRows(rows: Row[], variants: string[]): void {
  const w = Math.max(30, ...rows.map((r) => r.name.length));
  const head = ['step'.padEnd(w), 'python img/s'.padStart(12)];
  for (const v of variants) head.push(`${v} img/s`.padStart(14), 'ratio'.padStart(6), 'cpu ratio'.padStart(9), 'wins'.padStart(6));
  head.push('loss diff'.padStart(9), 'grad diff'.padStart(9));
  console.log(head.join(' '));
  for (const r of rows) {
    const line = [r.name.padEnd(w), fmt(r.images / r.python).padStart(12)];
    for (const v of variants) {
      const [t, c] = [r.native[v], r.nativeCpu[v]];
      line.push(
        (t ? fmt(r.images / t) : '-').padStart(14),
        (t ? fmt(r.python / t) : '-').padStart(6),
        (c ? fmt(r.pythonCpu / c) : '-').padStart(9),
        (t ? `${r.cpuWins[v]}/${r.reps}` : '-').padStart(6),
      );
    }
    line.push(sci(r.lossRelDiff).padStart(9), sci(r.gradRelDiff).padStart(9));
    console.log(line.join(' '));
  }
  const foot = ['geometric mean of ratios'.padEnd(w), ''.padStart(12)];
  for (const v of variants) {
    const with_ = rows.filter((r) => r.native[v]);
    const g = (xs: number[]) => (xs.length ? fmt(geomean(xs)) : '-');
    foot.push(
      ''.padStart(14),
      g(with_.map((r) => r.python / r.native[v]!)).padStart(6),
      g(with_.map((r) => r.pythonCpu / r.nativeCpu[v]!)).padStart(9),
      ''.padStart(6),
    );
  }
  console.log(foot.join(' '));
  const amped = rows.filter((r) => r.amp);
  if (amped.length) {
    console.log('\nmixed precision: relative distance from the native fp32 step (loss; gradient, in norm)');
    for (const r of amped) {
      console.log(
        `${r.name.padEnd(w)} native ${sci(r.amp!.nativeLoss)} ${sci(r.amp!.nativeGrad)}   python ${sci(r.amp!.pythonLoss)} ${sci(r.amp!.pythonGrad)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const o = parse();
  const python = o.python ?? findPythonTorch()?.python;
  if (!python) throw new Error('no Python with torch found: install python3-torchvision or pass --python');
  if (o.asUser) {
    await ensureExports(o.models, o.networks);
    return runAsUser({
      networks: o.networks,
      batch: o.batch,
      size: o.size,
      reps: o.reps,
      warmup: o.warmup,
      python,
      models: o.models,
      gapMs: o.gapMs,
      threads: o.threads,
      json: o.json,
    });
  }
  const entries: BenchEntry[] = [];
  if (!o.onlyBenchmarks) {
    for (const arch of o.networks) {
      const layers = STUDY_NETWORKS[arch]!.layers;
      entries.push(lossNetworkEntry(arch, o.allLayers ? [...layers] : [layers[3]]));
    }
  }
  if (o.benchmarks) entries.push(...benchmarkEntries({ steps: o.steps, similarityNetwork: o.simNetwork, similarityBatch: o.simBatch }));
  await ensureExports(o.models, [...new Set(entries.map((e) => e.architecture))]);
  const workDir = mkdtempSync(join(tmpdir(), 'dpl-bench-'));
  const ctx: BenchContext = {
    batch: o.batch,
    size: o.size,
    device: o.device,
    amp: o.amp,
    threads: o.threads,
    modelsDir: o.models,
    workDir,
    variants: o.variants,
    pyModel: o.pyModel,
    tf32: o.tf32,
  };
  if (o.tf32 !== undefined) await native().internal.benchSetTf32(o.tf32);
  const info = native().info();
  console.log(
    `dpl-torch bench: LibTorch ${info.torchVersion}, python ${python}, device ${o.device}, amp ${o.amp}, ` +
      `batch ${o.batch}, ${o.size}x${o.size}, ${o.reps} reps (medians), threads ${o.threads || 'default'}` +
      (o.tf32 === undefined ? '' : `, tf32 ${o.tf32 ? 'on' : 'off'}`) +
      `, OpenBLAS threads: native ${info.blasThreads || 'n/a'}, python ${o.pyBlasThreads || "OpenBLAS's default"}`,
  );
  const pyEnv: Record<string, string> = o.pyBlasThreads ? { OPENBLAS_NUM_THREADS: String(o.pyBlasThreads) } : {};
  const rows: Row[] = [];
  try {
    for (const entry of entries) {
      const t = Date.now();
      const row = await benchEntry(entry, ctx, python, pyEnv, o.reps, o.warmup);
      rows.push(row);
      const parts = Object.entries(row.native).map(
        ([v, s]) =>
          `${v} ${fmt(row.python / s)} (cpu ${fmt(row.pythonCpu / row.nativeCpu[v]!)}, wins ${row.cpuWins[v]}/${row.reps}, p ${fmt(signTestP(row.cpuWins[v]!, row.reps), 3)})`,
      );
      console.log(
        `  ${entry.name}: ratios ${parts.join(', ')} (threads py ${row.threads.python}, native ${row.threads.native || 'n/a'}; ` +
          `${((Date.now() - t) / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  console.log(
    '\nratio = Python wall time / dpl-torch wall time per step, cpu ratio = the same with process CPU time ' +
      '(> 1: dpl-torch faster; medians); wins = repetitions in which the native step used less CPU time than ' +
      'the Python step beside it (p: one-sided sign test that it is not faster); diffs: Python vs native fp32 step\n',
  );
  printRows(
    rows,
    o.variants.filter((v) => rows.some((r) => r.native[v])),
  );
  if (o.json) writeFileSync(o.json, JSON.stringify({ options: { ...o, python }, rows }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
