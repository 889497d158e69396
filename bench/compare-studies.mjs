#!/usr/bin/env node
// CUDA against CPU, run by run: the same study (same grid, seeds, data and exports)
// run on both devices with TF32 off. Every metric of every run is printed with its
// difference; the tolerances below decide. Exit 1 when a run is missing or failed on
// either side, or a metric is out of tolerance.
//   node bench/compare-studies.mjs CUDA_DIR CPU_DIR [--package DIR (the dpl-torch to read with)]
//
// Tolerances: both sides compute in fp32, but cuDNN and oneDNN/OpenBLAS sum in other
// orders, so a feature differs by ~1e-6 relative, and training steps carry that forward
// (and, where a ReLU or max-pool sits at a tie, through a flipped choice: bench/grad_check.py).
// Untrained evaluations (similarity 'baseline') get 1e-3; trained runs get bounds a real
// fault (a wrong layer, normalisation, device copy or missing gradient) exceeds by far:
// PSNR 0.1 dB, SSIM 0.005, 2AFC / accuracy / JND mAP 0.02, losses 2% relative. The epoch
// a run picked as its best is printed but not judged (a near tie may pick another).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { package: { type: 'string', default: '.' } } });
if (positionals.length !== 2) throw new Error('usage: compare-studies.mjs CUDA_DIR CPU_DIR [--package DIR]');
const { readResults } = await import(resolve(values.package, 'dist', 'index.js'));

function tolerance(metric, variant) {
  if (/bestEpoch/.test(metric)) return null;
  if (variant === 'baseline') return { abs: 1e-3 };
  if (/psnr/.test(metric)) return { abs: 0.1 };
  if (/ssim/.test(metric)) return { abs: 0.005 };
  if (/^(2afc|accuracy|jnd)\./.test(metric)) return { abs: 0.02 };
  return { rel: 0.02 };
}

const [cuda, cpu] = positionals.map((d) => new Map(readResults(d).map((r) => [r.id, r])));
let bad = 0;
console.log(`${'run'.padEnd(58)} ${'metric'.padEnd(18)} ${'cuda'.padStart(11)} ${'cpu'.padStart(11)} ${'diff'.padStart(9)}  verdict`);
for (const [id, c] of cuda) {
  const p = cpu.get(id);
  if (!p || c.status !== 'done' || p.status !== 'done') {
    bad++;
    console.log(
      `${id.padEnd(58)} FAIL: cuda ${c.status}${c.error ? ` (${c.error})` : ''}, cpu ${p ? p.status : 'missing'}${p?.error ? ` (${p.error})` : ''}`,
    );
    continue;
  }
  for (const [metric, x] of Object.entries(c.metrics)) {
    const y = p.metrics[metric];
    const t = tolerance(metric, c.variant);
    const diff = Math.abs(x - y);
    const ok = !t || (t.abs !== undefined ? diff <= t.abs : diff <= t.rel * Math.abs(y));
    if (!ok) bad++;
    const shown = t?.rel !== undefined ? `${((diff / Math.abs(y)) * 100).toFixed(3)}%` : diff.toExponential(2);
    console.log(
      `${id.padEnd(58)} ${metric.padEnd(18)} ${x.toPrecision(6).padStart(11)} ${y?.toPrecision(6).padStart(11)} ${shown.padStart(9)}  ${!t ? 'not judged' : ok ? 'ok' : `FAIL (> ${t.abs ?? `${t.rel * 100}%`})`}`,
    );
  }
}
for (const id of cpu.keys())
  if (!cuda.has(id)) {
    bad++;
    console.log(`${id.padEnd(58)} FAIL: missing on cuda`);
  }
console.log(bad ? `${bad} run(s) or metric(s) out of tolerance` : `all ${cuda.size} runs within tolerance`);
process.exit(bad ? 1 : 0);
