// Shared download step for the datasets: fetch (resumable, with a progress
// line) into <dir>/downloads, then unpack; a marker file records completion so
// an interrupted unpack is redone and a finished one is not.
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extract } from './archive.js';
import { download, formatBytesProgress, type DownloadOptions, type DownloadProgress } from './download.js';

export interface FetchOptions {
  /** Lines to show: the download's progress (unless onBytes takes it) and 'unpacking NAME'. */
  onProgress?: (line: string) => void;
  /** The download's byte counts, for a progress bar (instead of progress lines). */
  onBytes?: (name: string, p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Downloads `url` into `dir/downloads/` (or to `dest`) and, for archives, unpacks it into `dir` once.
 * `check` holds the published checksum, when there is one.
 */
export async function fetchInto(
  url: string, dir: string, o: FetchOptions = {}, dest?: string, check: Pick<DownloadOptions, 'sha256' | 'md5'> = {},
): Promise<void> {
  const file = dest ?? join(dir, 'downloads', basename(new URL(url).pathname));
  const marker = `${file}.unpacked`;
  if (existsSync(marker) || (dest && existsSync(dest))) return;
  const name = basename(file);
  await download(url, file, {
    ...check, signal: o.signal,
    onProgress: (p) => (o.onBytes ? o.onBytes(name, p) : o.onProgress?.(formatBytesProgress(name, p))),
  });
  if (/\.(zip|tgz|tar\.gz|tar)$/i.test(file)) {
    o.onProgress?.(`unpacking ${basename(file)}`);
    await extract(file, dir);
    writeFileSync(marker, new Date().toISOString());
  }
}
