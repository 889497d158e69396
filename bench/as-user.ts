// `npm run bench -- --as-user`: speed as a user meets it. For each network, one deep
// perceptual loss step with gradient through the public API,
// perceptualLoss(a, b, { network, layers, grad: true }), from a plain Node script
// (bench/as-user-node.ts), against the same step in a plain Python script with torch's
// defaults (bench/reference_step.py's loss step, torchvision modules); both processes
// start with no thread settings and without the thread environment variables, or, with
// --threads N (like with like), both with OMP_NUM_THREADS=N and nothing else. Sides
// alternate Python / plain / fast every repetition (the order flipping each time); wall
// clock inside each process around the step; medians. See bench/README.md.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../dist/native.js';
import { STUDY_NETWORKS } from '../dist/index.js';
import { seededImages } from './images.js';
import { measurePeak } from './peak.js';
import { PythonStep } from './python.js';
import { geomean, median } from './stats.js';

/** Variables that change thread counts or the allocator on either side: left out of both children's environments. */
export const USER_ENV_DROPPED = [
  'OMP_NUM_THREADS',
  'MKL_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'GOTO_NUM_THREADS',
  'DPL_TORCH_THREADS',
  'DPL_TORCH_CPU_CACHE_MB',
];

export interface AsUserOptions {
  networks: string[];
  batch: number;
  size: number;
  reps: number;
  warmup: number;
  python: string;
  models: string;
  /** Idle milliseconds before each timed step (see runAsUser). */
  gapMs: number;
  /** Both sides started with OMP_NUM_THREADS=threads (0: both at their defaults). */
  threads: number;
  json?: string;
}

interface Side {
  seconds: number[];
  cpu: number[];
  loss: number;
}
interface AsUserRow {
  network: string;
  layer: number;
  /** Counted FLOPs of one step (bench/README.md "Counted FLOPs"). */
  flops: number;
  median: { python: number; plain: number; fast: number };
  cpu: { python: number; plain: number; fast: number };
  lossRelDiff: number;
  threads: { python: number; node: number; nodeSource: string; nodeBlas: number };
}

function userEnv(threads: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of USER_ENV_DROPPED) delete env[k];
  // The variable a user sets to give both the same count: PyTorch's intra-op count and
  // OpenBLAS's (which reads it when OPENBLAS_NUM_THREADS is unset); dpl-torch's intra-op count.
  if (threads) env.OMP_NUM_THREADS = String(threads);
  return env;
}

/** The Node side: a child process answering one IPC request at a time. */
class NodeSide {
  private readonly child: ChildProcess;
  private waiting: ((m: { ok: boolean; answer?: unknown; error?: string }) => void) | undefined;
  private exited: Error | undefined;

  constructor(threads: number) {
    this.child = fork(join(import.meta.dirname, 'as-user-node.js'), [], {
      env: userEnv(threads),
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: { ok: boolean; answer?: unknown; error?: string }) => this.waiting?.(m));
    this.child.on('exit', (code) => {
      this.exited = new Error(`bench/as-user-node exited (${code})`);
      this.waiting?.({ ok: false, error: this.exited.message });
    });
  }

  request<T>(req: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting = (m) => {
        this.waiting = undefined;
        if (m.ok) resolve(m.answer as T);
        else reject(new Error(`as-user-node (${String(req.op)}): ${m.error}`));
      };
      this.child.send(req);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.send({ op: 'quit' });
    await done;
  }
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function benchNetwork(arch: string, o: AsUserOptions, workDir: string): Promise<AsUserRow> {
  const layer = STUDY_NETWORKS[arch]!.layers[3];
  const shape = [o.batch, 3, o.size, o.size];
  const input = join(workDir, 'a.f32');
  const target = join(workDir, 'b.f32');
  writeFileSync(input, seededImages(shape, 1).data);
  writeFileSync(target, seededImages(shape, 2).data);
  const py = new PythonStep(o.python, {}, userEnv(o.threads));
  const node = new NodeSide(o.threads);
  try {
    const pyLoaded = await py.request<{ threads: number }>({
      op: 'load',
      kind: 'loss',
      arch,
      pt: join(o.models, `${arch}.pt`),
      layers: [layer],
      normalization: 'imagenet',
      shape,
      input,
      target,
      device: 'cpu',
    });
    const { flops: perImage } = await py.request<{ flops: number }>({ op: 'flops' });
    const nodeLoaded = await node.request<{ threads: number; threadsSource: string; blasThreads: number }>({
      op: 'load',
      arch,
      layers: [layer],
      models: o.models,
      batch: o.batch,
      size: o.size,
    });
    const sides: [keyof AsUserRow['median'], () => Promise<Side>][] = [
      [
        'python',
        async () => {
          const t = await py.request<{ seconds: number[]; cpu: number[]; loss: number }>({ op: 'time', steps: 1 });
          return { seconds: t.seconds, cpu: t.cpu, loss: t.loss };
        },
      ],
      [
        'plain',
        async () => {
          const t = await node.request<{ seconds: number; cpu: number; loss: number }>({ op: 'time', variant: 'plain' });
          return { seconds: [t.seconds], cpu: [t.cpu], loss: t.loss };
        },
      ],
      [
        'fast',
        async () => {
          const t = await node.request<{ seconds: number; cpu: number; loss: number }>({ op: 'time', variant: 'fast' });
          return { seconds: [t.seconds], cpu: [t.cpu], loss: t.loss };
        },
      ],
    ];
    const wall: Record<string, number[]> = { python: [], plain: [], fast: [] };
    const cpu: Record<string, number[]> = { python: [], plain: [], fast: [] };
    const loss: Record<string, number> = {};
    for (let r = -o.warmup; r < o.reps; r++) {
      const order = r % 2 ? [...sides].reverse() : sides;
      for (const [name, run] of order) {
        // Idle workers spin before they sleep (libgomp's OpenMP threads, OpenBLAS's pool):
        // right after one process's step they would take the cores the other's step runs
        // on, which a user's single process never meets. The gap lets them park.
        await new Promise((r) => setTimeout(r, o.gapMs));
        const t = await run();
        loss[name] = t.loss;
        if (r >= 0) {
          wall[name]!.push(...t.seconds);
          cpu[name]!.push(...t.cpu);
        }
      }
    }
    return {
      network: arch,
      layer,
      // Forward of the outputs and the targets (2 x batch images) and the input-gradient
      // backward of the outputs, counted as one more forward of the batch.
      flops: 3 * o.batch * perImage,
      median: { python: median(wall.python!), plain: median(wall.plain!), fast: median(wall.fast!) },
      cpu: { python: median(cpu.python!), plain: median(cpu.plain!), fast: median(cpu.fast!) },
      lossRelDiff: Math.abs(loss.python! - loss.plain!) / Math.abs(loss.plain!),
      threads: {
        python: pyLoaded.threads,
        node: nodeLoaded.threads,
        nodeSource: nodeLoaded.threadsSource,
        nodeBlas: nodeLoaded.blasThreads,
      },
    };
  } finally {
    await Promise.allSettled([py.close(), node.close()]);
  }
}

export async function runAsUser(o: AsUserOptions): Promise<void> {
  const info = native().info();
  const peak = measurePeak();
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(
    `dpl-torch bench --as-user: LibTorch ${info.torchVersion}, python ${o.python}, CPU, batch ${o.batch}, ${o.size}x${o.size}, ` +
      `deepest study layer, ${o.reps} reps after ${o.warmup} warm-up (medians, wall clock, ${o.gapMs} ms idle before each step), ` +
      (o.threads ? `both sides with OMP_NUM_THREADS=${o.threads} (like with like) ` : 'both sides at their defaults ') +
      `(left out of both environments: ${USER_ENV_DROPPED.filter((k) => process.env[k] !== undefined).join(', ') || 'none were set'}); load average ${load()}`,
  );
  if (peak)
    console.log(
      `FP32 peak, measured (bench/peak-flops.c, FMA chains): ${fmt(peak.all, 0)} GFLOP/s on ${peak.cores} cores, ${fmt(peak.one, 0)} on one`,
    );
  const workDir = mkdtempSync(join(tmpdir(), 'dpl-as-user-'));
  const rows: AsUserRow[] = [];
  try {
    for (const arch of o.networks) {
      const row = await benchNetwork(arch, o, workDir);
      rows.push(row);
      const m = row.median;
      console.log(
        `  ${arch}@${row.layer}: python ${fmt(m.python * 1000, 0)} ms, plain ${fmt(m.plain * 1000, 0)} ms (${fmt(m.python / m.plain)}x), ` +
          `fast ${fmt(m.fast * 1000, 0)} ms (${fmt(m.python / m.fast)}x); threads python ${row.threads.python}, ` +
          `dpl-torch ${row.threads.node} (${row.threads.nodeSource}, OpenBLAS ${row.threads.nodeBlas}); load ${load()}`,
      );
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const w = Math.max(22, ...rows.map((r) => r.network.length + 4));
  const head = [
    'network'.padEnd(w),
    'Python ms',
    'plain ms',
    'fast ms',
    'plain x',
    'fast x',
    'GFLOP',
    'Py GFLOP/s',
    'plain GFLOP/s',
    'fast GFLOP/s',
    ...(peak ? ['fast % peak'] : []),
    'loss diff',
  ];
  console.log('\n' + [head[0], ...head.slice(1).map((h) => h.padStart(13))].join(' '));
  for (const r of rows) {
    const g = (s: number) => fmt(r.flops / s / 1e9, 1);
    const m = r.median;
    console.log(
      [
        `${r.network}@${r.layer}`.padEnd(w),
        fmt(m.python * 1000, 0),
        fmt(m.plain * 1000, 0),
        fmt(m.fast * 1000, 0),
        fmt(m.python / m.plain),
        fmt(m.python / m.fast),
        fmt(r.flops / 1e9, 1),
        g(m.python),
        g(m.plain),
        g(m.fast),
        ...(peak ? [fmt((100 * r.flops) / m.fast / 1e9 / peak.all, 0)] : []),
        r.lossRelDiff.toExponential(1),
      ]
        .map((c, i) => (i ? c.padStart(13) : c))
        .join(' '),
    );
  }
  const gm = (k: 'plain' | 'fast') => fmt(geomean(rows.map((r) => r.median.python / r.median[k])));
  console.log(['geometric mean'.padEnd(w), '', '', '', gm('plain'), gm('fast')].map((c, i) => (i ? c.padStart(13) : c)).join(' '));
  console.log(
    '\nx = Python wall time / dpl-torch wall time per step (> 1: dpl-torch faster). plain = LossNetwork.load(arch, { fast: false }), ' +
      'fast = LossNetwork.load(arch, { fast: true }). GFLOP: counted Conv2d/Linear FLOPs of the step (bench/README.md); ' +
      '% peak: of the all-core FP32 peak above. ' +
      `loss diff: Python's loss against plain's, relative. Load average at the end: ${load()}`,
  );
  if (o.json) writeFileSync(o.json, JSON.stringify({ options: o, peak, rows }, null, 2));
}
