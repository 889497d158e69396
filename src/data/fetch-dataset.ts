// Shared download step for the SR datasets: fetch (resumable, with a progress
// line) into <dir>/downloads, then unpack; a marker file records completion so
// an interrupted unpack is redone and a finished one is not.
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extract } from './archive.js';
import { download, formatBytesProgress } from './download.js';

export interface FetchOptions {
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Downloads `url` into `dir/downloads/` and, for archives, unpacks it into `dir` once. */
export async function fetchInto(url: string, dir: string, o: FetchOptions = {}, dest?: string): Promise<void> {
  const file = dest ?? join(dir, 'downloads', basename(new URL(url).pathname));
  const marker = `${file}.unpacked`;
  if (existsSync(marker) || (dest && existsSync(dest))) return;
  await download(url, file, { signal: o.signal, onProgress: (p) => o.onProgress?.(formatBytesProgress(basename(file), p)) });
  if (/\.(zip|tgz|tar\.gz|tar)$/i.test(file)) {
    o.onProgress?.(`unpacking ${basename(file)}`);
    await extract(file, dir);
    writeFileSync(marker, new Date().toISOString());
  }
}
