// MATLAB level 5 MAT-files (the format of SVHN's {train,test,extra}_32x32.mat),
// read as streams: SVHN's extra set is a 1.3 GB zlib-compressed element holding
// 1.6 GB of pixels, more than fits in memory as JS values. (The maintained npm
// reader, mat-for-js, inflates whole files into nested arrays of numbers.)
// Numeric arrays only (what SVHN holds); cells, structs and sparse arrays are
// listed but not read. Also a small writer, for the synthetic quick-preset data.
import { closeSync, createReadStream, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createInflate, deflateSync } from 'node:zlib';

const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
};
/** Storage types of numeric data: name, bytes per element. */
const STORAGE: Record<number, [string, number]> = {
  1: ['int8', 1],
  2: ['uint8', 1],
  3: ['int16', 2],
  4: ['uint16', 2],
  5: ['int32', 4],
  6: ['uint32', 4],
  7: ['single', 4],
  9: ['double', 8],
  12: ['int64', 8],
  13: ['uint64', 8],
};
const CLASSES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const NUMERIC = new Set(['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/** One variable of a MAT-file, as its header describes it. */
export interface MatVariable {
  name: string;
  /** MATLAB class: 'double', 'uint8', 'cell', ... */
  className: string;
  dims: number[];
  complex: boolean;
  /** How the real part is stored ('uint8', 'double', ...; MATLAB may store a double array as uint8); null when not numeric. */
  storage: string | null;
  /** Bytes of the real part. */
  dataBytes: number;
  /** Whether the variable is a zlib-compressed element. */
  compressed: boolean;
  /** Where the real part starts in the file, for an uncompressed variable (null when compressed). */
  dataOffset: number | null;
  /** The element's place in the file (tag included) and its byte count after the tag. */
  element: { start: number; bytes: number };
}

export interface MatFile {
  path: string;
  littleEndian: boolean;
  variables: MatVariable[];
}

const truncated = (path: string, what: string) => new Error(`${path} is truncated or corrupt (${what}); delete it and download it again`);

/** Reads exactly `n` bytes at a time from a stream of chunks; a short stream is an error. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  consumed = 0;
  constructor(
    source: AsyncIterable<Buffer>,
    private readonly onShort: () => Error,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) throw this.onShort();
      this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.consumed += n;
    return out;
  }

  /** The next `n` bytes in the pieces they arrive in. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length) await this.fill(1);
      const take = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(take.length);
      this.consumed += take.length;
      left -= take.length;
      yield take;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const pad8 = (n: number) => (n + 7) & ~7;

interface Tag {
  type: number;
  bytes: number;
  /** The data of a small element (4 bytes or fewer, packed into the tag). */
  small?: Buffer;
}

async function readTag(r: ChunkReader, le: boolean): Promise<Tag> {
  const b = await r.read(8);
  const w0 = le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  // Small data element: the byte count in the upper 16 bits, the data in the tag's second word.
  if (w0 >>> 16) return { type: w0 & 0xffff, bytes: w0 >>> 16, small: b.subarray(4, 4 + (w0 >>> 16)) };
  return { type: w0, bytes: le ? b.readUInt32LE(4) : b.readUInt32BE(4) };
}

/** A whole (small) sub-element's data, padding skipped. */
async function readElement(r: ChunkReader, le: boolean): Promise<{ type: number; data: Buffer }> {
  const tag = await readTag(r, le);
  if (tag.small) return { type: tag.type, data: tag.small };
  const data = Buffer.from(await r.read(tag.bytes));
  await r.read(pad8(tag.bytes) - tag.bytes);
  return { type: tag.type, data };
}

type MatrixHeader = Omit<MatVariable, 'compressed' | 'dataOffset' | 'element'> & {
  /** The data of a real part small enough to sit in its tag. */
  small?: Buffer;
};

/** Parses an miMATRIX header (flags, dims, name) and, for numeric arrays, the real part's tag. */
async function readMatrixHeader(r: ChunkReader, le: boolean): Promise<MatrixHeader> {
  const flags = await readElement(r, le);
  const word = le ? flags.data.readUInt32LE(0) : flags.data.readUInt32BE(0);
  const className = CLASSES[word & 0xff] ?? `class ${word & 0xff}`;
  const dimsEl = await readElement(r, le);
  const dims = Array.from({ length: dimsEl.data.length / 4 }, (_, i) =>
    le ? dimsEl.data.readInt32LE(4 * i) : dimsEl.data.readInt32BE(4 * i),
  );
  const name = (await readElement(r, le)).data.toString('latin1');
  const base = { name, className, dims, complex: (word & 0x800) !== 0, storage: null as string | null, dataBytes: 0 };
  if (!NUMERIC.has(className)) return base;
  const real = await readTag(r, le);
  const storage = STORAGE[real.type];
  if (!storage) throw new Error(`variable '${name}' stores its data as MAT type ${real.type}, which is not numeric`);
  return { ...base, storage: storage[0], dataBytes: real.bytes, small: real.small };
}

/** Reads an element's body through a ChunkReader, inflating it when compressed; the streams are closed after. */
async function withMatrix<T>(
  path: string,
  le: boolean,
  start: number,
  bytes: number,
  compressed: boolean,
  use: (r: ChunkReader) => Promise<T>,
): Promise<T> {
  const raw = createReadStream(path, { start, end: start + bytes - 1, highWaterMark: 1 << 20 });
  const inflate = compressed ? createInflate({ chunkSize: 1 << 20 }) : null;
  if (inflate) raw.on('error', (e) => inflate.destroy(e));
  const r = new ChunkReader(inflate ? raw.pipe(inflate) : raw, () => truncated(path, 'an element ends early'));
  try {
    if (compressed) {
      // The inflated bytes are a whole element: its own tag, then the matrix.
      const inner = await readTag(r, le);
      if (inner.type !== MI.MATRIX) throw new Error(`${path}: a compressed element holds MAT type ${inner.type}, not a matrix`);
    }
    return await use(r);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw truncated(path, `zlib: ${(e as Error).message}`);
    throw e;
  } finally {
    inflate?.destroy();
    raw.destroy();
  }
}

/** The header and the variables of a MAT-file (level 5, either byte order). */
export async function readMatFile(path: string): Promise<MatFile> {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(128);
  try {
    if (readSync(fd, head, 0, 128, 0) < 128) throw truncated(path, 'no 128-byte header');
  } finally {
    closeSync(fd);
  }
  const endian = head.toString('latin1', 126, 128);
  if (endian !== 'IM' && endian !== 'MI') {
    const text = head.toString('latin1', 0, 10);
    throw new Error(`${path} is not a MATLAB level 5 MAT-file (header '${text}...'); v7.3 files are HDF5 and not supported`);
  }
  const file: MatFile = { path, littleEndian: endian === 'IM', variables: [] };
  const le = file.littleEndian;
  const version = le ? head.readUInt16LE(124) : head.readUInt16BE(124);
  if (version !== 0x0100) {
    throw new Error(
      `${path} is a MAT-file of version 0x${version.toString(16)} (7.3 files are HDF5), not level 5; save it with -v7 or -v6`,
    );
  }
  const tags: { pos: number; type: number; bytes: number }[] = [];
  const fd2 = openSync(path, 'r');
  try {
    const tag = Buffer.alloc(8);
    for (let pos = 128; pos < size;) {
      if (readSync(fd2, tag, 0, 8, pos) < 8) throw truncated(path, `a tag at byte ${pos} is cut off`);
      const type = le ? tag.readUInt32LE(0) : tag.readUInt32BE(0);
      const bytes = le ? tag.readUInt32LE(4) : tag.readUInt32BE(4);
      if (pos + 8 + bytes > size)
        throw truncated(path, `an element at byte ${pos} needs ${pos + 8 + bytes - size} bytes more than the file holds`);
      tags.push({ pos, type, bytes });
      // Compressed elements are not padded; others end on an 8-byte boundary.
      pos += 8 + (type === MI.COMPRESSED ? bytes : pad8(bytes));
    }
  } finally {
    closeSync(fd2);
  }
  for (const { pos, type, bytes } of tags) {
    if (type !== MI.MATRIX && type !== MI.COMPRESSED) continue;
    const compressed = type === MI.COMPRESSED;
    const { small, offset, ...h } = await withMatrix(path, le, pos + 8, bytes, compressed, async (r) => ({
      ...(await readMatrixHeader(r, le)),
      offset: r.consumed,
    }));
    // A small real part sits in the last 4 bytes of its 8-byte tag.
    const dataOffset = compressed ? null : pos + 8 + offset - (small ? 4 : 0);
    file.variables.push({ ...h, compressed, dataOffset, element: { start: pos, bytes } });
  }
  return file;
}

function variable(file: MatFile, name: string): MatVariable {
  const v = file.variables.find((x) => x.name === name);
  if (!v) throw new Error(`${file.path} has no variable '${name}' (it has ${file.variables.map((x) => x.name).join(', ') || 'none'})`);
  if (!v.storage) throw new Error(`${file.path}: '${name}' is a ${v.className} array; only numeric arrays can be read`);
  return v;
}

/** Streams the real part of numeric variable `name` as raw bytes of its storage type, in the file's byte order. */
export async function streamMatData(file: MatFile, name: string, sink: (chunk: Buffer) => void | Promise<void>): Promise<MatVariable> {
  const v = variable(file, name);
  await withMatrix(file.path, file.littleEndian, v.element.start + 8, v.element.bytes, v.compressed, async (r) => {
    const h = await readMatrixHeader(r, file.littleEndian);
    if (h.small) return sink(h.small);
    for await (const piece of r.pieces(v.dataBytes)) await sink(piece);
  });
  return v;
}

/** The values of a (small) numeric variable, column-major, whatever type stores them. */
export async function readMatNumbers(file: MatFile, name: string): Promise<Float64Array> {
  const v = variable(file, name);
  const type = Number(Object.keys(STORAGE).find((k) => STORAGE[Number(k)]![0] === v.storage));
  const size = STORAGE[type]![1];
  const bytes = Buffer.alloc(v.dataBytes);
  let at = 0;
  await streamMatData(file, name, (c) => void (at += c.copy(bytes, at)));
  const count = v.dataBytes / size;
  const le = file.littleEndian;
  const out = new Float64Array(count);
  const read: Record<number, (o: number) => number> = {
    [MI.INT8]: (o) => bytes.readInt8(o),
    [MI.UINT8]: (o) => bytes.readUInt8(o),
    [MI.INT16]: (o) => (le ? bytes.readInt16LE(o) : bytes.readInt16BE(o)),
    [MI.UINT16]: (o) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o)),
    [MI.INT32]: (o) => (le ? bytes.readInt32LE(o) : bytes.readInt32BE(o)),
    [MI.UINT32]: (o) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o)),
    [MI.SINGLE]: (o) => (le ? bytes.readFloatLE(o) : bytes.readFloatBE(o)),
    [MI.DOUBLE]: (o) => (le ? bytes.readDoubleLE(o) : bytes.readDoubleBE(o)),
    [MI.INT64]: (o) => Number(le ? bytes.readBigInt64LE(o) : bytes.readBigInt64BE(o)),
    [MI.UINT64]: (o) => Number(le ? bytes.readBigUInt64LE(o) : bytes.readBigUInt64BE(o)),
  };
  for (let i = 0; i < count; i++) out[i] = read[type]!(i * size);
  return out;
}

// ---- writing (little-endian; uint8 and double arrays) ----

export interface MatArrayToWrite {
  name: string;
  className: 'uint8' | 'double';
  /** MATLAB dimensions; `data` is column-major. */
  dims: number[];
  data: Uint8Array | Float64Array;
}

function element(type: number, data: Buffer): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  return Buffer.concat([tag, data, Buffer.alloc(pad8(data.length) - data.length)]);
}

/** Writes a level 5 MAT-file of numeric arrays, each element zlib-compressed when `compress` (as MATLAB's default). */
export function writeMat(path: string, arrays: MatArrayToWrite[], o: { compress?: boolean } = {}): void {
  const head = Buffer.alloc(128, 0x20);
  head.write('MATLAB 5.0 MAT-file, written by dpl-torch', 0, 'latin1');
  head.fill(0, 116, 124);
  head.writeUInt16LE(0x0100, 124);
  head.write('IM', 126, 'latin1');
  const parts: Buffer[] = [head];
  for (const a of arrays) {
    const count = a.dims.reduce((x, y) => x * y, 1);
    if (count !== a.data.length) throw new Error(`writeMat: '${a.name}' has ${a.data.length} values for dims [${a.dims}]`);
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(a.className === 'uint8' ? 9 : 6, 0);
    const dims = Buffer.alloc(4 * a.dims.length);
    a.dims.forEach((d, i) => dims.writeInt32LE(d, 4 * i));
    const data = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const body = Buffer.concat([
      element(MI.UINT32, flags),
      element(MI.INT32, dims),
      element(MI.INT8, Buffer.from(a.name, 'latin1')),
      element(a.className === 'uint8' ? MI.UINT8 : MI.DOUBLE, data),
    ]);
    const matrix = element(MI.MATRIX, body);
    if (!o.compress) {
      parts.push(matrix);
      continue;
    }
    const z = deflateSync(matrix);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(MI.COMPRESSED, 0);
    tag.writeUInt32LE(z.length, 4);
    parts.push(tag, z);
  }
  writeFileSync(path, Buffer.concat(parts));
}
