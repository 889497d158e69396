// The super-resolution test sets: Set5 and Set14 (HR PNGs as the SelfExSR
// repository holds them) and BSD100 (the 100 test images of BSDS300).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchInto, type FetchOptions } from './fetch-dataset.js';

export const SELFEXSR_BASE_URL = 'https://raw.githubusercontent.com/jbhuang0604/SelfExSR/master';
export const BSDS300_URL = 'https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/bsds/BSDS300-images.tgz';
export const SR_TEST_SETS = ['set5', 'set14', 'bsd100'] as const;
export type SrTestSet = (typeof SR_TEST_SETS)[number];

const SELFEXSR = { set5: ['Set5', 5], set14: ['Set14', 14] } as const;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Sorted image paths of a test set in `dir`, or an error naming the remedy. */
export function testSetImages(dir: string, set: SrTestSet): string[] {
  if (set === 'bsd100') {
    const root = join(dir, 'BSDS300');
    const ids = join(root, 'iids_test.txt');
    if (existsSync(ids)) {
      return readFileSync(ids, 'utf8').split(/\s+/).filter(Boolean).sort().map((id) => join(root, 'images', 'test', `${id}.jpg`));
    }
    if (existsSync(join(dir, 'BSD100'))) return walk(join(dir, 'BSD100')).filter((p) => /\.(png|jpe?g)$/i.test(p)).sort();
    throw new Error(`no BSD100 in ${dir}: expected BSDS300/iids_test.txt and BSDS300/images/test/ (unpack BSDS300-images.tgz there) or a BSD100/ folder; or pass download: true (--download)`);
  }
  const folder = join(dir, SELFEXSR[set][0]);
  const files = existsSync(folder) ? walk(folder).filter((p) => /\.(png|jpe?g)$/i.test(p)).sort() : [];
  // SelfExSR folders also hold LR inputs and other methods' outputs: keep the HR images.
  const hr = files.filter((p) => /_HR\.png$/i.test(p));
  const chosen = hr.length ? hr : files;
  if (!chosen.length) {
    throw new Error(`no ${SELFEXSR[set][0]} images in ${folder}; put its HR PNGs there, or pass download: true (--download)`);
  }
  return chosen;
}

export interface TestSetOptions extends FetchOptions {
  download?: boolean;
  /** Base of the SelfExSR repository's raw files (tests point it at a local server). */
  selfExSrBaseUrl?: string;
  /** URL of BSDS300-images.tgz. */
  bsdsUrl?: string;
}

/** Downloads what is missing (when asked) and returns each set's image paths. */
export async function ensureTestSets(dir: string, o: TestSetOptions = {}): Promise<Record<SrTestSet, string[]>> {
  if (o.download) {
    for (const set of ['set5', 'set14'] as const) {
      const [name, count] = SELFEXSR[set];
      for (let i = 1; i <= count; i++) {
        const file = `img_${String(i).padStart(3, '0')}_SRF_2_HR.png`;
        const rel = `data/${name}/image_SRF_2/${file}`;
        await fetchInto(`${o.selfExSrBaseUrl ?? SELFEXSR_BASE_URL}/${rel}`, dir, o, join(dir, name, 'image_SRF_2', file));
      }
    }
    if (!existsSync(join(dir, 'BSDS300', 'iids_test.txt'))) await fetchInto(o.bsdsUrl ?? BSDS300_URL, dir, o);
  }
  return { set5: testSetImages(dir, 'set5'), set14: testSetImages(dir, 'set14'), bsd100: testSetImages(dir, 'bsd100') };
}
