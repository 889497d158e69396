// The manifest written by scripts/export-networks.py beside the .pt files.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { dplError } from './errors.js';

export const ManifestEntry = z.object({
  architecture: z.string(),
  file: z.string(),
  children: z.number().int().positive(),
  childNames: z.array(z.string()).optional(),
  weights: z.string(),
  seed: z.number().int().optional(),
  imagenetTop1: z.number().nullable().optional(),
  torch: z.string(),
  torchvision: z.string(),
  sha256: z.string(),
  exported: z.string().optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

const Manifest = z.object({ version: z.literal(1), networks: z.record(z.string(), ManifestEntry) });
export type Manifest = z.infer<typeof Manifest>;

/** The manifest in `dir`, or an empty one if there is none yet. */
export function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return { version: 1, networks: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw dplError(
      'ERR_DPL_FILE',
      `${path} cannot be read as JSON (${(e as Error).message}); re-export with \`npx dpl-torch export-networks\``,
    );
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    throw dplError(
      'ERR_DPL_FILE',
      `${path} is not a dpl-torch manifest (${parsed.error.issues[0]?.message}); re-export with \`npx dpl-torch export-networks\``,
    );
  }
  return parsed.data;
}

/** A short weights id for results: 'IMAGENET1K_V1:file.pth' or 'random:seed'. */
export function weightsId(entry: ManifestEntry): string {
  return entry.weights === 'random' ? `random:${entry.seed ?? 0}` : entry.weights;
}

export const isPretrained = (entry: ManifestEntry): boolean => entry.weights !== 'random';

const hashCache = new Map<string, string>();

/** sha256 of a file, cached by path, size and mtime (exports are hundreds of MB). */
export async function sha256File(path: string): Promise<string> {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  const cached = hashCache.get(key);
  if (cached) return cached;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  hashCache.set(key, hex);
  return hex;
}

/** major.minor of a version string ('1.13.0a0+git' -> [1, 13]). */
export function majorMinor(version: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/**
 * Whether LibTorch `linked` can read an export made by Python torch `exported`.
 * TorchScript files are forward-compatible only: a newer torch may write ops or
 * file versions an older LibTorch does not know.
 */
export function canRead(linked: string, exported: string): boolean {
  const [lm, ln] = majorMinor(linked);
  const [em, en] = majorMinor(exported);
  return em < lm || (em === lm && en <= ln);
}
