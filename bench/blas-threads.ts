// What OpenBLAS's workers cost and give beside LibTorch's intra-op threads: the native
// loss step (plain and fast) with OpenBLAS at each count in --blas, the counts
// alternating every repetition, intra-op threads at the default (or --threads).
//   node dist-bench/blas-threads.js [--networks a,b] [--blas 1,2] [--reps 7] [--models DIR]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LossNetwork, STUDY_NETWORKS } from '../dist/index.js';
import { native } from '../dist/native.js';
import { seededImages } from './images.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    networks: { type: 'string', default: 'resnet50,resnext50_32x4d,densenet121,googlenet,efficientnet_b0,squeezenet1_1' },
    blas: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
    models: { type: 'string', default: '.cache/bench-models' },
  },
  strict: true,
});
const counts = values.blas.split(',').map(Number);
const reps = Number(values.reps);
const internal = native().internal;
if (Number(values.threads) > 0) await native().setThreads(Number(values.threads));
const shape = [4, 3, 128, 128];
const a = seededImages(shape, 1);
const b = seededImages(shape, 2);
console.log(
  `intra-op threads ${native().info().threads} (${native().info().threadsSource}); OpenBLAS counts ${counts.join(' vs ')}; ${reps} reps, medians of wall and process CPU seconds per step`,
);
for (const arch of values.networks.split(',')) {
  const layers = [STUDY_NETWORKS[arch]!.layers[3]];
  for (const fast of [false, true]) {
    const net = await LossNetwork.load(arch, { modelsDir: resolve(values.models), weights: 'random', fast });
    const wall: number[][] = counts.map(() => []);
    const cpu: number[][] = counts.map(() => []);
    for (let r = -Number(values.warmup); r < reps; r++) {
      const order = counts.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) {
        await internal.benchSetBlasThreads(counts[i]!);
        const t = await internal.benchLossStep(net.handle, a, b, layers, { steps: 1 });
        if (r >= 0) {
          wall[i]!.push(t.seconds[0]!);
          cpu[i]!.push(t.cpu[0]!);
        }
      }
    }
    const cells = counts.map((c, i) => `blas ${c}: ${median(wall[i]!).toFixed(3)} s wall, ${median(cpu[i]!).toFixed(3)} s cpu`);
    console.log(
      `${`${arch}@${layers[0]} ${fast ? 'fast' : 'plain'}`.padEnd(32)} ${cells.join(' | ')}  wall ${counts[0]}/${counts.at(-1)} ${(median(wall[0]!) / median(wall.at(-1)!)).toFixed(2)}`,
    );
    net.dispose();
  }
}
