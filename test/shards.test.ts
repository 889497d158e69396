// Shards (src/study/shards.ts) of the paper grid: the same from any worker
// (whatever the plan's order or the output folder's path), disjoint, covering
// the plan, and balanced by expected cost (src/study/cost.ts): the busiest and
// the idlest shard differ by at most one run's cost, where slicing by count
// does not come close.
import { describe, expect, it } from 'vitest';
import { networkGmacs, NETWORK_GMACS, runCost } from '../src/study/cost.js';
import type { PlannedRun } from '../src/study/plan.js';
import { defaultRegistry } from '../src/study/registry.js';
import { assignShards, balance, parseShard, selectShard } from '../src/study/shards.js';
import { Study } from '../src/study/study.js';
import { STUDY_NETWORKS } from '../src/networks.js';

const paperPlan = async (out: string): Promise<PlannedRun[]> =>
  new Study({ preset: 'paper', out, registry: await defaultRegistry() }).plan();

describe('shards', () => {
  it('parses i/n and names the expected form otherwise', () => {
    expect(parseShard('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', 'a/b', '-1/3', '1', '1/2/3'])
      expect(() => parseShard(bad)).toThrow(/--shard must be i\/n with 0 <= i < n/);
  });

  it('splits the paper grid the same way from any worker: disjoint, covering, balanced by cost', async () => {
    const plan = await paperPlan('/cluster/a/out');
    expect(plan.length).toBeGreaterThan(250);
    const elsewhere = await paperPlan('/mnt/other/mount/of/out');
    const shuffled = [...elsewhere].sort((a, b) => (a.id.split('').reverse().join() < b.id.split('').reverse().join() ? -1 : 1));
    for (const n of [1, 3, 8, 16]) {
      const a = assignShards(plan, n);
      // the same from another mount of the folder and another plan order
      expect(assignShards(shuffled, n).of).toEqual(a.of);
      const slices = Array.from({ length: n }, (_, i) => selectShard(plan, { index: i, count: n }).map((r) => r.id));
      const all = slices.flat();
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort()).toEqual(plan.map((r) => r.id).sort());
      expect(slices.every((s) => s.length > 0)).toBe(true);
      const costs = plan.map(runCost);
      const total = costs.reduce((x, y) => x + y, 0);
      expect(a.load.reduce((x, y) => x + y, 0)).toBeCloseTo(total, 0);
      expect(Math.max(...a.load) - Math.min(...a.load)).toBeLessThanOrEqual(Math.max(...costs) * (1 + 1e-12));
      if (n > 1) {
        // Slicing by count (equal runs of the plan in turn) leaves far more on the busiest shard.
        const size = Math.ceil(costs.length / n);
        const byCount = Array.from({ length: n }, (_, i) => costs.slice(i * size, (i + 1) * size).reduce((x, y) => x + y, 0));
        expect(Math.max(...a.load)).toBeLessThan(Math.max(...byCount));
        expect(Math.max(...a.load) / (total / n)).toBeLessThan(1.1);
      }
    }
  });

  it('balances costed items greedily with deterministic ties', () => {
    const items = [
      { id: 'b', cost: 1 },
      { id: 'a', cost: 1 },
      { id: 'big', cost: 5 },
      { id: 'c', cost: 2 },
      { id: 'd', cost: 2 },
    ];
    const r = balance(items, 2);
    expect(Object.fromEntries(r.of)).toEqual({ big: 0, c: 1, d: 1, a: 1, b: 0 });
    expect(r.load).toEqual([6, 5]);
    expect(() => balance(items, 0)).toThrow(/positive integer/);
  });

  it('costs runs by their loss network depth and their work', async () => {
    for (const [net, { layers }] of Object.entries(STUDY_NETWORKS)) {
      const cumulative = NETWORK_GMACS[net]!;
      expect(cumulative, net).toBeDefined();
      // cumulative: never decreasing along the children
      expect(
        cumulative.every((v, i) => i === 0 || v >= cumulative[i - 1]!),
        net,
      ).toBe(true);
      expect(networkGmacs(net, [layers[3]])).toBeGreaterThan(networkGmacs(net, [layers[0]]));
    }
    expect(networkGmacs('vgg16', [29])).toBeGreaterThan(10 * networkGmacs('alexnet', [11]));
    expect(networkGmacs('pixel', [])).toBe(0);
    expect(networkGmacs('mobilenet_v2', [3])).toBeGreaterThan(0); // outside the table: a rough estimate
    const plan = await paperPlan('/out');
    const find = (b: string, net: string, variant: string, layer?: number) =>
      plan.find(
        (r) =>
          r.identity.benchmark === b &&
          r.identity.network === net &&
          r.identity.variant === variant &&
          (layer === undefined || r.identity.layers[0] === layer),
      )!;
    expect(runCost(find('similarity', 'vgg16', 'lin'))).toBeGreaterThan(10 * runCost(find('similarity', 'vgg16', 'baseline')));
    expect(runCost(find('super-resolution', 'vgg16', 'x4', 29))).toBeGreaterThan(runCost(find('super-resolution', 'vgg16', 'x4', 3)));
    expect(runCost(find('super-resolution', 'vgg19', 'x4', 35))).toBeGreaterThan(runCost(find('super-resolution', 'alexnet', 'x4', 11)));
    expect(runCost(find('delineation', 'vgg16', 'unet', 29))).toBeGreaterThan(runCost(find('delineation', 'vgg16', 'unet', 3)));
    // A delineation run trains 100 epochs of 1,108 crops through K = 3 passes: far above a similarity baseline.
    expect(runCost(find('delineation', 'alexnet', 'unet', 1))).toBeGreaterThan(runCost(find('similarity', 'alexnet', 'baseline')));
  });
});
