// Calls test/helpers/train_reference.py (Python torch): reference training steps and native checkpoint reading.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function trainReference<T>(python: string, body: Record<string, unknown>): T {
  const r = spawnSync(python, [join(import.meta.dirname, 'train_reference.py')], { input: JSON.stringify(body), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`train_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
