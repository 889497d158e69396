// Image datasets kept as bytes on disk and read a batch at a time: N RGB
// images of side x side, one after another from an offset, each channel
// stored column-major (x outer, y inner), as MATLAB writes SVHN's X and as
// STL-10's binaries hold them. Only the batches in use are in memory (STL-10's
// unlabeled set is 2.8 GB, SVHN's extra 1.6 GB).
import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteBatch } from '../tensor.js';

export class ImageRecords {
  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
    readonly offset: number,
    readonly count: number,
    readonly side: number,
  ) {}

  /** Opens `count` images of `side` x `side` at `offset` of `path`; a file too short for them is an error. */
  static async open(path: string, o: { offset?: number; count: number; side: number }): Promise<ImageRecords> {
    const offset = o.offset ?? 0;
    const need = offset + o.count * 3 * o.side * o.side;
    const size = statSync(path).size;
    if (size < need) {
      throw new Error(
        `${path} is truncated: ${o.count} images of ${o.side}x${o.side} need ${need} bytes, the file has ${size}; delete it and download it again`,
      );
    }
    return new ImageRecords(await open(path, 'r'), path, offset, o.count, o.side);
  }

  private get bytes(): number {
    return 3 * this.side * this.side;
  }

  /** The images at `indices` as an NCHW batch (transposed from the stored column-major order). */
  async batch(indices: readonly number[]): Promise<ByteBatch> {
    const n = indices.length;
    const b = this.bytes;
    const raw = new Uint8Array(n * b);
    await Promise.all(
      indices.map((i, k) => {
        if (!Number.isInteger(i) || i < 0 || i >= this.count)
          throw new RangeError(`image ${i} is outside 0..${this.count - 1} of ${this.path}`);
        return this.file.read(raw, k * b, b, this.offset + i * b);
      }),
    );
    const s = this.side;
    const out = new Uint8Array(n * b);
    for (let p = 0; p < n * 3; p++) {
      const base = p * s * s;
      for (let x = 0; x < s; x++) {
        for (let y = 0; y < s; y++) out[base + y * s + x] = raw[base + x * s + y]!;
      }
    }
    return { data: out, shape: [n, 3, s, s] };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** Images with labels 0..9 (none for unlabelled sets). */
export interface ImageSet {
  images: ImageRecords;
  labels?: Uint8Array;
}
