// Image I/O through sharp gives the pixels the study's loader (PIL's
// Image.open(f).convert('RGB')) gives: JPEG exactly, PNG and TIFF in every
// layout the datasets use, no rotation or colour-profile conversion.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeRaster, encodePng, encodeTiff, readImage, type Raster } from '../src/data/image.js';
import { mulberry32 } from '../src/data/seeded.js';
import type { ByteImage } from '../src/tensor.js';
import { pilDecode, pilWrite, type PilFile } from './helpers/pil-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'dpl-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

/** A seeded image with gradients, edges and noise (JPEG's chroma upsampling shows on such content). */
function photo(h: number, w: number, seed: number, channels = 3): Uint8Array {
  const r = mulberry32(seed);
  const out = new Uint8Array(h * w * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < channels; k++) {
        const base = k === 0 ? x * 3 + y : k === 1 ? y * 5 : (x - y) * 2 + (x > w / 2 ? 90 : 0);
        out[(y * w + x) * channels + k] = Math.max(0, Math.min(255, Math.round((((base % 256) + 256) % 256) + (r() - 0.5) * 60)));
      }
    }
  }
  return out;
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectSame(ours: ByteImage, pil: ByteImage): void {
  expect(ours.shape).toEqual(pil.shape);
  expect(maxDiff(ours.data, pil.data)).toBe(0);
}

const H = 77;
const W = 93;
const rgb = photo(H, W, 1);
const files: (PilFile & { name: string })[] = [
  { name: 'q75-420.jpg', mode: 'RGB', format: 'JPEG', options: { quality: 75 } },
  { name: 'q90-422.jpg', mode: 'RGB', format: 'JPEG', options: { quality: 90, subsampling: 1 } },
  { name: 'q90-444.jpg', mode: 'RGB', format: 'JPEG', options: { quality: 90, subsampling: 0 } },
  { name: 'progressive.jpg', mode: 'RGB', format: 'JPEG', options: { quality: 80, progressive: true } },
  { name: 'grey.jpg', mode: 'L', format: 'JPEG', options: { quality: 80 } },
  { name: 'rotated.jpg', mode: 'RGB', format: 'JPEG', options: { quality: 90 }, exifOrientation: 6 },
  { name: 'rgb.png', mode: 'RGB', format: 'PNG' },
  { name: 'rgba.png', mode: 'RGBA', format: 'PNG' },
  { name: 'grey.png', mode: 'L', format: 'PNG' },
  { name: 'grey-alpha.png', mode: 'LA', format: 'PNG' },
  { name: 'palette.png', mode: 'P', format: 'PNG', options: { transparency: 3 } },
  { name: 'rgb.tiff', mode: 'RGB', format: 'TIFF' },
  { name: 'rgb-lzw.tiff', mode: 'RGB', format: 'TIFF', options: { compression: 'tiff_lzw' } },
  { name: 'mask.tif', mode: 'L', format: 'TIFF' },
  { name: 'mask-1bit.tif', mode: '1', format: 'TIFF' },
].map((f) => {
  const channels = { RGB: 3, P: 3, CMYK: 3, RGBA: 4, LA: 2, L: 1, '1': 1 }[f.mode]!;
  const data =
    f.mode === 'L' || f.mode === '1'
      ? photo(H, W, 2, 1).map((v) => (f.name.startsWith('mask') ? (v > 128 ? 255 : 0) : v))
      : channels === 3
        ? rgb
        : photo(H, W, 3, channels);
  return { ...f, path: at(f.name), data, shape: [H, W, channels] as [number, number, number] };
});

let pil: Map<string, ByteImage>;
beforeAll(() => {
  pilWrite(files);
  pil = new Map(pilDecode(files.map((f) => f.path)).map((img, i) => [files[i]!.name, img]));
});

describe('decoding as PIL does', () => {
  it.each(files.map((f) => f.name))('%s equals PIL convert("RGB") exactly', async (name) => {
    expectSame(await readImage(at(name)), pil.get(name)!);
  });

  it('JPEG: the same pixels from bytes as from the path, and an EXIF orientation is not applied (PIL does not rotate)', async () => {
    const fromBytes = await decodeImage(readFileSync(at('rotated.jpg')));
    expect(fromBytes.shape).toEqual([H, W, 3]);
    expectSame(fromBytes, pil.get('rotated.jpg')!);
  });

  it('16-bit grey and RGB keep the high byte of each sample', async () => {
    const r = mulberry32(7);
    const g16 = Uint16Array.from({ length: H * W }, () => Math.floor(r() * 65536));
    pilWrite([{ path: at('g16.png'), data: g16, shape: [H, W, 1], mode: 'I;16', format: 'PNG' }]);
    const grey = await decodeRaster(at('g16.png'));
    expect(grey.channels).toBe(1);
    expect([...grey.data]).toEqual([...g16].map((v) => v >> 8));
    // PIL clips 16-bit grey at 255 in convert('RGB'); we do not copy that (docs/protocol.md).
    const rgb16 = Uint16Array.from({ length: H * W * 3 }, () => Math.floor(r() * 65536));
    await sharp(rgb16, { raw: { width: W, height: H, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(at('rgb16.png'));
    const ours = await readImage(at('rgb16.png'));
    expect([...ours.data]).toEqual([...rgb16].map((v) => v >> 8));
    expectSame(ours, pilDecode([at('rgb16.png')])[0]!); // PIL reads 16-bit RGB by its high byte too
  });

  it('ignores an embedded colour profile, as PIL does', async () => {
    // Pixels tagged as Display P3: sharp's default would convert them to sRGB.
    await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } })
      .withIccProfile('p3', { attach: true })
      .png()
      .toFile(at('p3.png'));
    expect((await sharp(at('p3.png')).metadata()).icc).toBeDefined();
    const converted = await sharp(at('p3.png')).raw().toBuffer();
    const ours = await readImage(at('p3.png'));
    expectSame(ours, pilDecode([at('p3.png')])[0]!);
    expect(maxDiff(ours.data, converted)).toBeGreaterThan(0);
  });

  it('reads a region of a file as the same pixels as the whole file', async () => {
    const whole = await decodeRaster(at('rgb.tiff'));
    const part = await decodeRaster(at('rgb.tiff'), { region: { left: 10, top: 20, width: 30, height: 17 } });
    expect([part.height, part.width, part.channels]).toEqual([17, 30, 3]);
    for (let y = 0; y < 17; y++) {
      expect([...part.data.subarray(y * 90, y * 90 + 90)]).toEqual([
        ...whole.data.subarray(((y + 20) * W + 10) * 3, ((y + 20) * W + 40) * 3),
      ]);
    }
  });

  it('refuses CMYK, truncated and non-image files, naming the file', async () => {
    pilWrite([{ path: at('cmyk.jpg'), data: rgb, shape: [H, W, 3], mode: 'CMYK', format: 'JPEG' }]);
    await expect(readImage(at('cmyk.jpg'))).rejects.toThrow(/cmyk\.jpg is cmyk .*convert it/);
    const tiff = readFileSync(at('rgb.tiff'));
    writeFileSync(at('cut.tiff'), tiff.subarray(0, tiff.length >> 1));
    await expect(readImage(at('cut.tiff'))).rejects.toThrow(/cannot decode .*cut\.tiff.*truncated/);
    const jpg = readFileSync(at('q75-420.jpg'));
    writeFileSync(at('cut.jpg'), jpg.subarray(0, jpg.length - 300));
    await expect(readImage(at('cut.jpg'))).rejects.toThrow(/cannot decode .*cut\.jpg/);
    writeFileSync(at('text.png'), 'not an image');
    await expect(readImage(at('text.png'))).rejects.toThrow(/cannot decode .*text\.png/);
    await expect(readImage(at('absent.png'))).rejects.toThrow(/absent\.png/);
  });
});

describe('encoding', () => {
  it('PNG round-trips RGB and grey exactly, and PIL reads it the same', async () => {
    const img: ByteImage = { data: rgb, shape: [H, W, 3] };
    writeFileSync(at('ours.png'), await encodePng(img));
    expectSame(await readImage(at('ours.png')), img);
    expectSame(pilDecode([at('ours.png')])[0]!, img);
    const grey: Raster = { data: photo(H, W, 4, 1), height: H, width: W, channels: 1 };
    const back = await decodeRaster(await encodePng(grey));
    expect(back.channels).toBe(1);
    expect(maxDiff(back.data, grey.data)).toBe(0);
  });

  it('TIFF (RGB and single-channel, uncompressed) reads back exactly, in PIL too', async () => {
    const img: ByteImage = { data: rgb, shape: [H, W, 3] };
    const mask: Raster = { data: photo(H, W, 5, 1).map((v) => (v > 128 ? 255 : 0)), height: H, width: W, channels: 1 };
    writeFileSync(at('ours.tiff'), await encodeTiff(img));
    writeFileSync(at('ours.tif'), await encodeTiff(mask));
    expectSame(await readImage(at('ours.tiff')), img);
    expectSame(pilDecode([at('ours.tiff')])[0]!, img);
    const m = await decodeRaster(at('ours.tif'));
    expect(m.channels).toBe(1);
    expect(maxDiff(m.data, mask.data)).toBe(0);
    expect(
      maxDiff(
        pilDecode([at('ours.tif')])[0]!.data.filter((_, i) => i % 3 === 0),
        mask.data,
      ),
    ).toBe(0);
  });
});
