// The dpl-torch side of `npm run bench -- --as-user`: what a user's plain script does,
// in a process of its own started with no thread settings and no thread environment
// variables. It loads a network through the public API and times one call of
// perceptualLoss(a, b, { network, layers, grad: true }) per request (wall clock around
// the awaited call: the JS copies in and out, the NaN checks and the queue included).
// One JSON request per IPC message: {op: 'load', arch, layers, models, batch, size},
// {op: 'time', variant: 'plain' | 'fast'}, {op: 'quit'} (exits).
import { LossNetwork, perceptualLoss, type FloatTensor } from '../dist/index.js';
import { native } from '../dist/native.js';
import { seededImages } from './images.js';

interface Load {
  op: 'load';
  arch: string;
  layers: number[];
  models: string;
  batch: number;
  size: number;
}
let nets: Record<string, LossNetwork> = {};
let a: FloatTensor | undefined;
let b: FloatTensor | undefined;
let layers: number[] = [];

async function handle(req: { op: string } & Record<string, unknown>): Promise<unknown> {
  if (req.op === 'load') {
    const o = req as unknown as Load;
    Object.values(nets).forEach((n) => n.dispose());
    const load = (fast: boolean) => LossNetwork.load(o.arch, { modelsDir: o.models, weights: 'random', fast });
    nets = { plain: await load(false), fast: await load(true) };
    const shape = [o.batch, 3, o.size, o.size];
    [a, b, layers] = [seededImages(shape, 1), seededImages(shape, 2), o.layers];
    const info = native().info();
    return { threads: info.threads, threadsSource: info.threadsSource, blasThreads: info.blasThreads };
  }
  if (req.op === 'time') {
    const network = nets[req.variant as string];
    if (!network || !a || !b) throw new Error(`no network loaded for variant '${String(req.variant)}'`);
    const c = process.cpuUsage();
    const t = performance.now();
    const r = await perceptualLoss(a, b, { network, layers, grad: true });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(c);
    return { seconds, cpu: (used.user + used.system) / 1e6, loss: r.loss };
  }
  throw new Error(`unknown op '${req.op}'`);
}

process.on('message', (req: { op: string } & Record<string, unknown>) => {
  if (req.op === 'quit') {
    Object.values(nets).forEach((n) => n.dispose());
    process.exit(0);
  }
  handle(req).then(
    (answer) => process.send?.({ ok: true, answer }),
    (e: unknown) => process.send?.({ ok: false, error: (e as Error).message }),
  );
});
