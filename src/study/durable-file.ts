// Files that are either wholly there or not at all, on local disks and on NFS:
// written under a unique temporary name in the same folder, flushed, then
// renamed over the target (rename is atomic within one folder, also on NFS), and
// created exclusively with link(2), the NFS-safe way to make a file only if it
// does not exist yet.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temporary name beside `path` that no other process or host picks: dot-prefixed, so listings skip it. */
export const tempName = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

function writeSynced(path: string, data: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (the rename itself); some filesystems refuse, and then the rename is all we have. */
function syncFolder(dir: string): void {
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

/** Replaces `path` with `data` in one step: readers see the old file or the new one, never a part. */
export function writeFileAtomic(path: string, data: string, options: { sync?: boolean } = {}): void {
  const tmp = tempName(path);
  try {
    if (options.sync === false) {
      const fd = openSync(tmp, 'wx');
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
    } else {
      writeSynced(tmp, data);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (options.sync !== false) syncFolder(dirname(path));
}

/**
 * Creates `path` with `data` only if no file has that name; true when this call
 * made it. A hard link from a private temporary file decides it (atomic on NFS,
 * where O_EXCL was not on old servers); the link count settles the case where
 * the server made the link but its reply was lost. Filesystems without hard links
 * fall back to O_EXCL.
 */
export function createExclusive(path: string, data: string): boolean {
  const tmp = tempName(path);
  writeSynced(tmp, data);
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
    writeSynced(path, data);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}
