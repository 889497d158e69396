// Writes that a crash or a kill can never leave half done: the bytes go to a
// temporary file beside the target, are flushed to disk, and are renamed over
// it (rename is atomic on POSIX filesystems, and within one folder on NFS too);
// the folder is flushed after, so the rename itself survives power loss.
// Temporary names are unique per host, process and call, so two writers of the
// same file (also on hosts sharing a filesystem) never share one.
// createExclusive makes a file only if none has its name, the NFS-safe way.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

let counter = 0;
/** Told apart from other hosts' processes of the same pid. */
const PROCESS_TAG = randomBytes(4).toString('hex');

/** A temporary path beside `path`, unique to this process and call. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${PROCESS_TAG}-${++counter}`;
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

/** Flushes a folder's entries (a rename in it); some filesystems refuse, and then the rename is all there is. */
function flushFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // e.g. EINVAL on some network filesystems
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
  flushFolder(dirname(path));
}

/**
 * Creates `path` with `data` only if no file has that name; true when this call
 * made it, whole. A hard link from a private temporary file decides it (atomic
 * on NFS, where O_EXCL was not on old servers), and the link count settles the
 * case where the server made the link but its reply was lost. Filesystems
 * without hard links fall back to O_EXCL.
 */
export function createExclusive(path: string, data: string): boolean {
  const tmp = tempPath(path);
  writeFileSync(tmp, data);
  flushFile(tmp);
  try {
    try {
      linkSync(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createWithExcl(path, data);
      if (code !== 'EEXIST') throw e;
    }
    return statSync(tmp).nlink === 2;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function createWithExcl(path: string, data: string): boolean {
  try {
    writeFileSync(path, data, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  flushFile(path);
  return true;
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
