// A static file server on 127.0.0.1 for download tests, with Range support and
// an optional cut-off that drops the connection part-way (to test resume).
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface TestServer {
  url: string;
  /** Requests seen, as 'GET /path range' strings. */
  requests: string[];
  /** When set, the next full (non-Range) response stops after this many bytes. */
  cutAfter?: number;
  /** When set, cutAfter waits for a request of this path (e.g. '/train/sat/a.tiff'). */
  cutPath?: string;
  /** When set, the next full response sends this many bytes and then nothing, holding the connection open. */
  stallAfter?: number;
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<TestServer> {
  const state: TestServer = { url: '', requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    state.requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    if (!path.startsWith(root) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(path).size;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      if (start >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': size - start, 'Content-Range': `bytes ${start}-${size - 1}/${size}` });
      createReadStream(path, { start }).pipe(res);
      return;
    }
    res.writeHead(200, { 'Content-Length': size });
    if (state.stallAfter !== undefined) {
      res.write(readFileSync(path).subarray(0, state.stallAfter));
      state.stallAfter = undefined;
      return;
    }
    if (
      state.cutAfter !== undefined &&
      (state.cutPath === undefined || state.cutPath === decodeURIComponent(new URL(req.url!, 'http://x').pathname))
    ) {
      const cut = state.cutAfter;
      state.cutAfter = state.cutPath = undefined;
      // Send the first bytes, and only once they have reached the OS (and a moment
      // later, so a client that gets bytes and FIN together does not drop the
      // bytes), close the connection short of Content-Length: the client sees a
      // truncated body whatever the machine's load.
      res.write(readFileSync(path).subarray(0, cut), () => setTimeout(() => res.socket?.end(), 100));
      return;
    }
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => {
    server.closeAllConnections(); // stalled responses too
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}
