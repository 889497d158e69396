// Downloads resume after a cut-off, verify checksums and fail clearly.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { download, formatBytesProgress } from '../src/data/download.js';
import { serveFolder, type TestServer } from './helpers/http-server.js';

const root = mkdtempSync(join(tmpdir(), 'dpl-serve-'));
const payload = randomBytes(300_000);
const sha = createHash('sha256').update(payload).digest('hex');
let server: TestServer;
beforeAll(async () => {
  writeFileSync(join(root, 'data.bin'), payload);
  server = await serveFolder(root);
});
afterAll(() => server.close());

it('resumes a cut-off download with a Range request and verifies it', async () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'dpl-dl-')), 'data.bin');
  server.cutAfter = 100_000;
  await expect(download(`${server.url}/data.bin`, dest, { sha256: sha })).rejects.toThrow();
  expect(existsSync(dest)).toBe(false);
  expect(statSync(`${dest}.part`).size).toBeGreaterThan(0);
  const seen: number[] = [];
  await download(`${server.url}/data.bin`, dest, { sha256: sha, onProgress: (p) => seen.push(p.received) });
  expect(readFileSync(dest).equals(payload)).toBe(true);
  expect(server.requests.at(-1)).toMatch(/Range|bytes=\d+-/);
  expect(seen.at(-1)).toBe(payload.length);
  expect(existsSync(`${dest}.part`)).toBe(false);
  // A complete, verified file is kept without another request.
  const before = server.requests.length;
  await download(`${server.url}/data.bin`, dest, { sha256: sha });
  expect(server.requests.length).toBe(before);
});

it('names the file and the remedy when a transfer breaks off, and drops a part file longer than the file', async () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'dpl-dl-')), 'data.bin');
  server.cutAfter = 50_000;
  await expect(download(`${server.url}/data.bin`, dest)).rejects.toThrow(
    /data\.bin broke off after \d+ of 300000 bytes .*run again to resume/,
  );
  writeFileSync(`${dest}.part`, Buffer.concat([payload, Buffer.alloc(10)]));
  await expect(download(`${server.url}/data.bin`, dest)).rejects.toThrow(/holds 300010 bytes, more than the file's 300000; it was deleted/);
  expect(existsSync(`${dest}.part`)).toBe(false);
  await download(`${server.url}/data.bin`, dest);
  expect(readFileSync(dest).equals(payload)).toBe(true);
});

it('gives up on a server that stops sending, keeping the bytes to resume from', async () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'dpl-dl-')), 'data.bin');
  server.stallAfter = 20_000;
  await expect(download(`${server.url}/data.bin`, dest, { stallSeconds: 1 })).rejects.toThrow(
    /data\.bin broke off after 20000 of 300000 bytes \(no data for 1 s\).*run again to resume/,
  );
  await download(`${server.url}/data.bin`, dest, { stallSeconds: 1 });
  expect(server.requests.at(-1)).toMatch(/bytes=20000-/);
  expect(readFileSync(dest).equals(payload)).toBe(true);
});

it('deletes a download whose checksum is wrong and says so', async () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'dpl-dl-')), 'data.bin');
  await expect(download(`${server.url}/data.bin`, dest, { sha256: '0'.repeat(64) })).rejects.toThrow(/corrupt: sha256/);
  expect(existsSync(dest) || existsSync(`${dest}.part`)).toBe(false);
});

it('reports HTTP errors and unreachable hosts with the offline remedy', async () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'dpl-dl-')), 'x');
  await expect(download(`${server.url}/missing.bin`, dest)).rejects.toThrow(/HTTP 404/);
  await expect(download('http://127.0.0.1:9/none', dest)).rejects.toThrow(/cannot download.*offline/);
});

it('formats a progress bar', () => {
  expect(formatBytesProgress('x', { url: '', received: 5e6, total: 1e7 })).toMatch(/x\s+\[=+\s+\]\s+50% 5\.0\/10\.0 MB/);
});
