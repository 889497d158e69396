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
  /** Seconds without a byte from the server before the transfer is given up, resumable (default 120). */
  stallSeconds?: number;
}

/**
 * Fetches `url` to `dest`. A partial `dest.part` from an earlier try is resumed
 * with an HTTP Range request; the file appears at `dest` only when complete and
 * verified (its size against Content-Length, and the sha256 or MD5 when given).
 * An existing `dest` (with the right checksum, when given) is kept as it is.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  if (existsSync(dest)) {
    if ((await verify(dest, options)) === null) return;
    unlinkSync(dest);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const dog = watchdog(options.stallSeconds ?? 120, options.signal);
  try {
    await fetchTo(url, dest, part, have, dog, options);
  } finally {
    dog.stop();
  }
}

interface Watchdog {
  /** Aborted by the caller's signal, or when `arm` was not called for the time given. */
  signal: AbortSignal;
  arm(): void;
  stop(): void;
  /** Why it fired, when it did. */
  stalled(): string | undefined;
}

/** Gives up on a server that goes quiet (no headers, or no bytes for a while) instead of waiting forever. */
function watchdog(seconds: number, outer?: AbortSignal): Watchdog {
  const quiet = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const dog: Watchdog = {
    signal: outer ? AbortSignal.any([outer, quiet.signal]) : quiet.signal,
    arm: () => {
      clearTimeout(timer);
      timer = setTimeout(() => quiet.abort(), seconds * 1000);
    },
    stop: () => clearTimeout(timer),
    stalled: () => (quiet.signal.aborted && !outer?.aborted ? `no data for ${seconds} s` : undefined),
  };
  dog.arm();
  return dog;
}

async function fetchTo(url: string, dest: string, part: string, have: number, dog: Watchdog, options: DownloadOptions): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, signal: dog.signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `cannot download ${url}: ${dog.stalled() ?? cause?.code ?? cause?.message ?? (e as Error).message}. ` +
        'If this machine is offline, download the file elsewhere and point dpl-torch at the folder that holds the data.',
    );
  }
  dog.arm();
  if (res.status === 416 && have) {
    // The part file already holds everything, unless it holds more than the file.
    const size = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
    if (size < have) {
      unlinkSync(part);
      throw new Error(
        `the partial download of ${url} (${part}) holds ${have} bytes, more than the file's ${size}; it was deleted, run again`,
      );
    }
  } else if (!res.ok) {
    await res.body?.cancel().catch(() => {}); // frees the connection
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
        dog.arm();
        await file.write(chunk);
        received += chunk.length;
        options.onProgress?.({ url, received, total });
      }
    } catch (e) {
      if (options.signal?.aborted) throw e;
      const cause = dog.stalled() ?? (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new Error(
        `the download of ${url} broke off after ${received}${total ? ` of ${total}` : ''} bytes (${cause}); ${part} keeps them: run again to resume`,
      );
    } finally {
      await file.close();
    }
    // Content-Length against the bytes on disk: a short body resumes, a long one is corrupt.
    const size = statSync(part).size;
    if (total !== undefined && size < total) {
      throw new Error(`the download of ${url} is incomplete: ${size} of ${total} bytes in ${part}; run again to resume`);
    }
    if (total !== undefined && size > total) {
      unlinkSync(part);
      throw new Error(`the download of ${url} holds ${size} bytes, but the server announced ${total}; it was deleted, run again`);
    }
  }
  const bad = await verify(part, options);
  if (bad) {
    unlinkSync(part);
    throw new Error(`download of ${url} is corrupt: ${bad}; it was deleted, try again`);
  }
  renameSync(part, dest);
}

/** What is wrong with the file's checksums (sha256, md5, those given), or null when they match. */
async function verify(path: string, options: DownloadOptions): Promise<string | null> {
  for (const a of ['sha256', 'md5'] as const) {
    if (!options[a]) continue;
    const got = await hashOf(path, a);
    if (got !== options[a].toLowerCase()) return `${a} ${got}, expected ${options[a]}`;
  }
  return null;
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
