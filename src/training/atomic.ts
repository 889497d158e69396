// Writes that a crash or a kill can never leave half done: the bytes go to a
// temporary file beside the target, are flushed to disk, and are renamed over
// it (rename is atomic on POSIX filesystems). Temporary names are unique per
// process and call, so two writers of the same file never share one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';

let counter = 0;

/** A temporary path beside `path`, unique to this process and call. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${++counter}`;
}

/** Flushes a written file's data to disk (so a rename after it never exposes an empty file after power loss). */
export function flushFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` atomically. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  try {
    writeFileSync(tmp, data);
    flushFile(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes `value` as JSON to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

/**
 * Lets `write` produce a file (a native checkpoint, a decoded cache) at a
 * temporary path, then renames it to `path`; on failure the temporary file is
 * removed and `path` is left as it was.
 */
export async function saveAtomic(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPath(path);
  try {
    await write(tmp);
    flushFile(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes a folder tree at a temporary path and renames it to `dir`, so readers
 * never see half a tree. If another process renamed its own copy in first, that
 * one is kept and ours is removed. Resolves true when ours was used.
 */
export async function makeDirAtomic(dir: string, make: (tmp: string) => Promise<void>): Promise<boolean> {
  const tmp = tempPath(dir);
  try {
    await make(tmp);
    renameSync(tmp, dir);
    return true;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  }
}
