// Unpacking the datasets' archives (tar.gz, zip) into a folder.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';

/** Extracts a .tar.gz / .tgz / .tar into `dest`. */
export async function extractTar(file: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  await tar.x({ file, cwd: dest });
}

/** Extracts a .zip into `dest`, refusing entries that would land outside it. */
export async function extractZip(file: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true }, (err, z) => (err ? rej(err) : res(z!))),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = normalize(join(dest, entry.fileName));
      if (!target.startsWith(normalize(dest) + sep)) return reject(new Error(`zip entry escapes the folder: ${entry.fileName}`));
      if (entry.fileName.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        zip.readEntry();
        return;
      }
      mkdirSync(dirname(target), { recursive: true });
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('zip read failed'));
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
}

/** Extracts by file name: .zip, or tar (.tar, .tar.gz, .tgz). */
export function extract(file: string, dest: string): Promise<void> {
  return /\.zip$/i.test(file) ? extractZip(file, dest) : extractTar(file, dest);
}
