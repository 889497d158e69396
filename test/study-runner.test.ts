// The runner with the real store, loss networks and exports: finished runs are
// skipped, failures recorded while the others go on, an abort keeps the
// checkpoint and the next run resumes from it, ImageNet-only studies refuse
// random weights, and missing exports are made with random weights.
// The benchmark here is a small contract-conforming sequencer written for the
// test (the real benchmarks run in study-cli.test.ts): it loads the loss
// network the runner resolved, steps with checkpoints in ctx.dir, and honours
// the AbortSignal as the contract says.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Benchmark } from '../src/benchmarks/benchmark.js';
import { LossNetwork } from '../src/loss-network.js';
import { readManifest } from '../src/manifest.js';
import type { Registry } from '../src/study/registry.js';
import { StudyInterrupted, type StudyEvent } from '../src/study/runner.js';
import { ResultsStore } from '../src/study/store.js';
import { Study } from '../src/study/study.js';
import { randomImages } from './helpers/reference.js';
import { TEST_MODELS } from './helpers/models.js';

interface Knobs {
  steps: number;
  failNetwork?: string;
  /** Abort this controller when a run reaches this step. */
  abortAt?: { controller: AbortController; step: number };
  calls: string[];
  dataMade: number;
}

function stepBenchmark(k: Knobs): Registry {
  const benchmark: Benchmark = {
    name: 'super-resolution',
    primaryMetric: 'score',
    higherIsBetter: true,
    async run(spec, ctx) {
      k.calls.push(`${spec.network}:${spec.layers.join(',')}`);
      if (spec.network === k.failNetwork) throw new Error(`${spec.network} does not work here`);
      const net = await LossNetwork.load(spec.network, { modelsDir: ctx.modelsDir, weights: 'any', normalization: 'none' });
      try {
        const ckpt = join(ctx.dir, 'checkpoint.json');
        const resumedFrom = existsSync(ckpt) ? (JSON.parse(readFileSync(ckpt, 'utf8')) as { step: number }).step : 0;
        let sum = 0;
        for (let step = resumedFrom; step < k.steps; step++) {
          const [f] = await net.features(randomImages([1, 3, 32, 32], step), spec.layers);
          sum += f!.data.reduce((a, b) => a + Math.abs(b), 0) / f!.data.length;
          writeFileSync(ckpt, JSON.stringify({ step: step + 1 }));
          ctx.progress(step + 1, k.steps, `step ${step + 1}`);
          if (k.abortAt && step + 1 === k.abortAt.step) k.abortAt.controller.abort();
          if (ctx.signal.aborted) throw new Error('aborted after saving the checkpoint');
        }
        writeFileSync(join(ctx.dir, 'sample.png'), 'not really a png');
        return {
          metrics: {
            score: sum,
            resumedFrom,
            'options.steps': Number(spec.options.steps),
            'options.layerMode': Number('layerMode' in spec.options),
          },
          weightsId: net.weightsId,
          artifacts: ['sample.png'],
        };
      } finally {
        net.dispose();
      }
    },
  };
  return {
    'super-resolution': {
      benchmark,
      layerMode: 'single',
      variants: { paper: ['x4'], quick: ['x4'] },
      paperOptions: () => ({ steps: 100 }),
      quickOptions: (data) => ({ steps: k.steps, data }),
      makeQuickData: async (data) => {
        k.dataMade++;
        writeFileSync(join(data, 'made.txt'), 'synthetic');
      },
    },
  };
}

const config = (networks: string[], extra: Record<string, unknown> = {}) => ({
  benchmarks: ['super-resolution'],
  networks,
  layers: Object.fromEntries(networks.map((n) => [n, n === 'alexnet' ? [1, 4] : [1, 3]])),
  weights: 'any',
  modelsDir: TEST_MODELS,
  ...extra,
});

describe('study runner', () => {
  it('runs the grid, records a failure and goes on, then skips what is done', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-runner-'));
    const k: Knobs = { steps: 3, failNetwork: 'squeezenet1_1', calls: [], dataMade: 0 };
    const events: StudyEvent[] = [];
    const study = new Study({ config: config(['alexnet', 'squeezenet1_1']), scale: 'quick', registry: stepBenchmark(k), out });
    study.on('progress', (e) => events.push(e));
    const summary = await study.run();
    expect(summary).toEqual({ total: 4, skipped: 0, done: 2, failed: 2, held: 0 });
    expect(k.dataMade).toBe(1);
    expect(readFileSync(join(out, 'data', 'super-resolution', 'made.txt'), 'utf8')).toBe('synthetic');

    const runs = study.results();
    expect(runs.map((r) => [r.network, r.layers[0], r.status])).toEqual([
      ['alexnet', 1, 'done'],
      ['alexnet', 4, 'done'],
      ['squeezenet1_1', 1, 'failed'],
      ['squeezenet1_1', 3, 'failed'],
    ]);
    const done = runs[0]!;
    expect(done.weightsId).toBe('random:0');
    expect(done.pretrained).toBe(false);
    expect(done.metrics.score).toBeGreaterThan(0);
    expect(done.metrics['options.steps']).toBe(3);
    // the study's layer mode is recorded with the run, beside the options; the benchmark never sees it
    expect(done.options.layerMode).toBe('single');
    expect(done.metrics['options.layerMode']).toBe(0);
    expect(done.versions.libtorch).toMatch(/^1\.13/);
    expect(done.versions.torchvision).toBe(readManifest(TEST_MODELS).networks.alexnet!.torchvision);
    expect(done.artifacts).toEqual(['sample.png']);
    expect(existsSync(join(out, 'runs', done.id, 'checkpoint.json'))).toBe(true);
    expect(runs[2]!.error).toBe('squeezenet1_1 does not work here');

    const progress = events.filter((e) => e.type === 'run-progress');
    expect(progress.length).toBe(6);
    expect(progress.at(-1)).toMatchObject({ done: 3, total: 3 });
    expect(events.filter((e) => e.type === 'run-end').map((e) => (e as { status: string }).status)).toEqual([
      'done',
      'done',
      'failed',
      'failed',
    ]);

    // Again: the done runs are skipped, the failed ones retried (and recorded once each).
    k.calls.length = 0;
    k.failNetwork = undefined;
    const again = await new Study({ config: config(['alexnet', 'squeezenet1_1']), scale: 'quick', registry: stepBenchmark(k), out }).run();
    expect(again).toEqual({ total: 4, skipped: 2, done: 2, failed: 0, held: 0 });
    expect(k.calls).toEqual(['squeezenet1_1:1', 'squeezenet1_1:3']);
    const after = study.results();
    expect(after).toHaveLength(4);
    expect(after.every((r) => r.status === 'done')).toBe(true);
    expect(after[2]!.attempts).toBe(2);
    expect(after[2]!.error).toBeNull();
  });

  it('stops on abort with the checkpoint kept, and resumes from it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-runner-abort-'));
    const controller = new AbortController();
    const k: Knobs = { steps: 4, calls: [], dataMade: 0, abortAt: { controller, step: 2 } };
    const study = new Study({ config: config(['alexnet']), scale: 'quick', registry: stepBenchmark(k), out });
    const error = await study.run({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyInterrupted);
    const [first, second] = study.results();
    expect(first!.status).toBe('interrupted');
    expect((error as StudyInterrupted).runId).toBe(first!.id);
    expect(second).toBeUndefined(); // the next run never started
    expect(JSON.parse(readFileSync(join(out, 'runs', first!.id, 'checkpoint.json'), 'utf8'))).toEqual({ step: 2 });

    k.abortAt = undefined;
    const summary = await new Study({ config: config(['alexnet']), scale: 'quick', registry: stepBenchmark(k), out }).run();
    expect(summary).toEqual({ total: 2, skipped: 0, done: 2, failed: 0, held: 0 });
    const runs = study.results();
    expect(runs.map((r) => [r.status, r.metrics.resumedFrom, r.attempts])).toEqual([
      ['done', 2, 2],
      ['done', 0, 1],
    ]);
    // the data was made once, not again on resume
    expect(k.dataMade).toBe(1);
  });

  it('refuses random weights when the study asks for ImageNet weights', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-runner-imagenet-'));
    const k: Knobs = { steps: 1, calls: [], dataMade: 0 };
    const summary = await new Study({
      config: config(['alexnet'], { weights: 'imagenet' }),
      scale: 'quick',
      registry: stepBenchmark(k),
      out,
    }).run();
    expect(summary.failed).toBe(2);
    expect(k.calls).toEqual([]);
    const store = new ResultsStore(out);
    expect(store.runs()[0]!.error).toMatch(
      /alexnet in .* has random weights .*ImageNet weights.*export-networks --arch alexnet --weights imagenet/,
    );
    store.close();
  });

  it('exports missing networks with random weights into <out>/models when any weights will do', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-runner-export-'));
    const empty = mkdtempSync(join(tmpdir(), 'dpl-no-models-'));
    const k: Knobs = { steps: 1, calls: [], dataMade: 0 };
    const logs: string[] = [];
    const study = new Study({
      config: config(['alexnet'], { modelsDir: empty, seed: 5 }),
      scale: 'quick',
      registry: stepBenchmark(k),
      out,
    });
    study.on('progress', (e) => e.type === 'log' && logs.push(e.line));
    expect(await study.run()).toMatchObject({ done: 2, failed: 0 });
    expect(logs.join('\n')).toMatch(/no export of alexnet .*RANDOM weights \(seed 5\)/);
    expect(readManifest(join(out, 'models')).networks.alexnet).toMatchObject({ weights: 'random', seed: 5 });
    expect(study.results().map((r) => r.weightsId)).toEqual(['random:5', 'random:5']);
  });
});
