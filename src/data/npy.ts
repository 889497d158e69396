// A tiny reader for NumPy .npy files of float64/float32 numbers (BAPPS judge
// and same values), and a writer for the synthetic data and tests.
import { readFileSync } from 'node:fs';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** All values of a float .npy file (any shape, C order), as numbers. */
export function readNpy(path: string): number[] {
  const buf = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`${path} is not a float .npy file this reader handles: ${why}`);
  };
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail('no NUMPY magic');
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? fail('no descr');
  if (/'fortran_order':\s*True/.test(header)) fail('Fortran order');
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('no shape'))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const kinds: Record<string, [number, (b: Buffer, o: number) => number]> = {
    '<f8': [8, (b, o) => b.readDoubleLE(o)],
    '>f8': [8, (b, o) => b.readDoubleBE(o)],
    '<f4': [4, (b, o) => b.readFloatLE(o)],
    '>f4': [4, (b, o) => b.readFloatBE(o)],
  };
  const kind = kinds[descr] ?? fail(`dtype ${descr} (float32 or float64 expected)`);
  const [size, read] = kind;
  const data = start + headerLen;
  if (buf.length < data + count * size) fail('file is truncated');
  return Array.from({ length: count }, (_, i) => read(buf, data + i * size));
}

/** A .npy file holding `values` with `shape` (default [values.length]). */
export function encodeNpy(values: number[], dtype: 'float64' | 'float32' = 'float64', shape = [values.length]): Buffer {
  const descr = dtype === 'float64' ? '<f8' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const size = dtype === 'float64' ? 8 : 4;
  const body = Buffer.alloc(values.length * size);
  values.forEach((v, i) => (dtype === 'float64' ? body.writeDoubleLE(v, i * 8) : body.writeFloatLE(v, i * 4)));
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}
