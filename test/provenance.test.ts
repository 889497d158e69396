// provenance(runs): the sentence of the report on which hosts and shards made the finished runs.
import { describe, expect, it } from 'vitest';
import { provenance } from '../src/study/provenance.js';
import type { RunRecord } from '../src/study/store.js';

const run = (host: string | null, shard: string | null, status: RunRecord['status'] = 'done') => ({ host, shard, status }) as RunRecord;

describe('provenance', () => {
  it('counts the hosts and shards of finished runs, shards in numeric order', () => {
    const p = provenance([run('n2', '10/12'), run('n1', '2/12'), run('n1', '2/12'), run('n3', '0/12'), run('n9', '5/12', 'failed')]);
    expect(p.hosts).toEqual(['n1', 'n2', 'n3']);
    expect(p.shards).toEqual(['0/12', '2/12', '10/12']);
    expect(p.text).toBe('The 4 finished runs came from 3 hosts (n1, n2, n3) and 3 shards (0/12, 2/12, 10/12).');
  });

  it('says so when a run was unsharded or its host unknown (older records), and when nothing is done', () => {
    expect(provenance([run('a', null)]).text).toBe('The 1 finished run came from 1 host (a), unsharded.');
    expect(provenance([run(null, '0/2'), run('a', null)]).text).toBe(
      'The 2 finished runs came from 2 hosts (a, unknown host) and 1 shard (0/2), and some unsharded.',
    );
    expect(provenance([run('a', '0/1', 'running')]).text).toBe('No finished runs yet.');
  });
});
