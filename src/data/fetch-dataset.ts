// Shared download step for the datasets: fetch (resumable, with a progress
// line) into <dir>/downloads, then unpack, check what was unpacked and delete
// the archive (COCO's zips are 19 GB); a marker file records completion so an
// interrupted unpack is redone and a finished one is not.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
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

export interface FetchTarget {
  /** Where a single (non-archive) file goes; default <dir>/downloads/<name>. */
  dest?: string;
  /** Throws, naming what is missing, unless the unpacked archive left the files it should. */
  verify?: () => void;
  /** The published checksum of the download, when there is one. */
  checksum?: Pick<DownloadOptions, 'sha256' | 'md5'>;
}

const passes = (verify?: () => void): boolean => {
  try {
    verify?.();
    return true;
  } catch {
    return false;
  }
};

/** Downloads `url` into `dir/downloads/` and, for archives, unpacks it into `dir` once. */
export async function fetchInto(url: string, dir: string, o: FetchOptions = {}, target: FetchTarget = {}): Promise<void> {
  const file = target.dest ?? join(dir, 'downloads', basename(new URL(url).pathname));
  const marker = `${file}.unpacked`;
  if (target.dest && existsSync(target.dest)) return;
  // A marker whose files were removed since is stale: fetch again rather than fail on every later run.
  if (existsSync(marker) && passes(target.verify)) return;
  rmSync(marker, { force: true });
  const name = basename(file);
  await download(url, file, {
    ...target.checksum,
    signal: o.signal,
    onProgress: (p) => (o.onBytes ? o.onBytes(name, p) : o.onProgress?.(formatBytesProgress(name, p))),
  });
  if (/\.(zip|tgz|tar\.gz|tar)$/i.test(file)) {
    o.onProgress?.(`unpacking ${basename(file)}`);
    await extract(file, dir);
    try {
      target.verify?.();
    } catch (e) {
      throw new Error(`${basename(file)} did not unpack as expected into ${dir}: ${(e as Error).message}`);
    }
    writeFileSync(marker, new Date().toISOString());
    rmSync(file, { force: true }); // unpacked and checked: the archive is no longer needed
  }
}
