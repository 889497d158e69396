// Several `dpl-torch run` processes on one output folder (the real similarity
// benchmark, tiny quick scale): each run runs once, in one of them, with no
// checkpoint collisions; a worker stopped (SIGSTOP) past the claim timeout has
// its run taken over by another, which gives the same metrics as an undisturbed
// run, and the stopped worker, resumed, leaves that run to the new holder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore, type RunRecord } from '../src/study/store.js';
import { ensureDist, MAIN, startNode, waitFor } from './helpers/cli.js';
import { TEST_MODELS } from './helpers/models.js';

const env = { ...process.env, DPL_TORCH_QUICK_SCALE: 'tiny', DPL_TORCH_MODELS: TEST_MODELS };
const start = (out: string, extra: string[], more: NodeJS.ProcessEnv = {}) =>
  startNode(MAIN, ['run', '--only', 'similarity', '--no-report', ...extra, '--out', out], { ...env, ...more });
/** The runs a worker's output says it started. */
const started = (output: string) => [...output.matchAll(/^\[\d+\/\d+\] (\S+)$/gm)].map((m) => m[1]!);

beforeAll(ensureDist);

describe('workers sharing one folder', () => {
  let reference: RunRecord[] = [];

  it('two runs at once run each run once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-two-'));
    const a = start(out, []);
    const b = start(out, []);
    const [ca, cb] = await Promise.all([a.exit, b.exit]);
    expect(ca, a.output()).toBe(0);
    expect(cb, b.output()).toBe(0);
    reference = new ResultsStore(out).runs();
    expect(reference.length).toBe(6); // 3 networks x (baseline, lin)
    expect(reference.every((r) => r.status === 'done' && r.attempts === 1 && Object.keys(r.metrics).length > 0)).toBe(true);
    const all = [...started(a.output()), ...started(b.output())];
    expect(all.sort()).toEqual(reference.map((r) => r.id).sort());
    expect(a.output() + b.output()).not.toMatch(/ENOENT|failed in|[1-9]\d* failed/);
    console.log(`worker A ran ${started(a.output()).length} runs, worker B ${started(b.output()).length}`);
  });

  it('takes over the run of a worker silent past the timeout, with the same metrics', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-silent-'));
    const quick = { DPL_TORCH_CLAIM_TIMEOUT: '3' };
    const a = start(out, ['--networks', 'alexnet'], quick);
    await waitFor(() => started(a.output()).length === 1, 240_000, 'worker A to start a run');
    const stolen = started(a.output())[0]!;
    a.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 4500));
    const b = start(out, ['--networks', 'alexnet'], quick);
    expect(await b.exit, b.output()).toBe(0);
    expect(b.output()).toMatch(new RegExp(`taking over ${stolen} from .* pid ${a.child.pid}.*\\(silent\\)`));
    a.child.kill('SIGCONT');
    expect(await a.exit, a.output()).toBe(0);
    expect(a.output()).toMatch(new RegExp(`${stolen}: held by taken over by`));

    const runs = new ResultsStore(out).runs();
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(runs.find((r) => r.id === stolen)!.attempts).toBe(2);
    // The same runs as in the undisturbed study, metric for metric.
    for (const r of runs) expect(r.metrics).toEqual(reference.find((x) => x.id === r.id)!.metrics);
  });
});
