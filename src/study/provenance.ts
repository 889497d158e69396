// Which hosts and shards produced a study's results, for the report.
import type { RunRecord } from './store.js';

export interface Provenance {
  hosts: string[];
  /** Shard labels ('i/n'), in order; 'unsharded' for runs a worker ran outside any shard. */
  shards: string[];
  text: string;
}

const order = (s: string): number[] => (s === 'unsharded' ? [Infinity, Infinity] : s.split('/').map(Number).reverse());

export function provenance(runs: RunRecord[]): Provenance {
  const done = runs.filter((r) => r.status === 'done');
  const hosts = [...new Set(done.map((r) => r.host ?? 'unknown host'))].sort();
  const shards = [...new Set(done.map((r) => r.shard ?? 'unsharded'))].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0]! - y[0]! || x[1]! - y[1]!;
  });
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const sharded = shards.filter((s) => s !== 'unsharded');
  const text = !done.length
    ? 'No finished runs yet.'
    : `The ${plural(done.length, 'finished run')} came from ${plural(hosts.length, 'host')} (${hosts.join(', ')})` +
      (sharded.length
        ? ` and ${plural(sharded.length, 'shard')} (${sharded.join(', ')})${sharded.length < shards.length ? ', and some unsharded' : ''}.`
        : ', unsharded.');
  return { hosts, shards, text };
}
