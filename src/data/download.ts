// Downloads that resume, verify and report progress. Used by every dataset.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DownloadProgress {
  url: string;
  received: number;
  /** Total bytes, when the server says. */
  total?: number;
}

export interface DownloadOptions {
  /** Expected sha256 (hex); a mismatch deletes the file and throws. */
  sha256?: string;
  /** Expected MD5 (hex), where a dataset publishes only that (SVHN, STL-10); checked like sha256. */
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Fetches `url` to `dest`. A partial `dest.part` from an earlier try is resumed
 * with an HTTP Range request; the file appears at `dest` only when complete and
 * verified. An existing `dest` with the right checksum is kept as it is.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const checks = (['sha256', 'md5'] as const).filter((a) => options[a]);
  const verify = async (path: string): Promise<string | null> => {
    for (const a of checks) {
      const got = await hashOf(path, a);
      if (got !== options[a]!.toLowerCase()) return `${a} ${got}, expected ${options[a]}`;
    }
    return null;
  };
  if (existsSync(dest)) {
    if ((await verify(dest)) === null) return;
    unlinkSync(dest);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, signal: options.signal });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `cannot download ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}. ` +
        'If this machine is offline, download the file elsewhere and point dpl-torch at the folder that holds the data.',
    );
  }
  if (res.status === 416 && have) {
    // The part file already holds everything.
  } else if (!res.ok) {
    throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const resumed = res.status === 206;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
  if (res.status !== 416 && res.body) {
    let received = resumed ? have : 0;
    // Each chunk is on disk before the next is read, so a connection that breaks
    // leaves every byte received in the part file for the next try to resume from.
    const file = await open(part, resumed ? 'a' : 'w');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        options.signal?.throwIfAborted();
        await file.write(chunk);
        received += chunk.length;
        options.onProgress?.({ url, received, total });
      }
    } finally {
      await file.close();
    }
  }
  const bad = await verify(part);
  if (bad) {
    unlinkSync(part);
    throw new Error(`download of ${url} is corrupt: ${bad}; it was deleted, try again`);
  }
  renameSync(part, dest);
}

export function sha256Of(path: string): Promise<string> {
  return hashOf(path, 'sha256');
}

/** A file's digest (hex), read as a stream (the datasets are gigabytes). */
export async function hashOf(path: string, algorithm: 'sha256' | 'md5'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A one-line text progress bar: 'name  [=====>    ]  45% 12.3/27.0 MB'. */
export function formatBytesProgress(name: string, p: DownloadProgress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  if (!p.total) return `${name}  ${mb(p.received)} MB`;
  const frac = Math.min(1, p.received / p.total);
  const width = 24;
  const filled = Math.round(frac * width);
  return `${name}  [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(p.received)}/${mb(p.total)} MB`;
}
