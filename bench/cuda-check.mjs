#!/usr/bin/env node
// CUDA check for a GPU machine (not part of npm test: CI has no GPU).
// Needs the addon built against a CUDA LibTorch and networks exported into
// DPL_TORCH_MODELS. Compares CUDA against CPU for features, perceptual-loss
// gradients and a super-resolution training step; prints one JSON line per check
// and exits non-zero if any check fails.
import { LossNetwork, perceptualLoss, doctor } from '../dist/index.js';
import { SuperResolutionTrainer } from '../dist/benchmarks/super-resolution-trainer.js';
import { native } from '../dist/native.js';

const archs = (process.argv[2] ?? 'vgg16,resnet50,efficientnet_b0,inception_v3,densenet121').split(',');
let failed = 0;
const report = (o) => {
  if (o.ok === false) failed++;
  console.log(JSON.stringify(o));
};

function rand(shape, seed) {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296;
  }
  return { data, shape };
}
function relErr(a, b) {
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m + 1e-12);
}

const info = doctor();
report({ check: 'doctor', libtorch: info.libtorch, cuda: info.cuda, ok: !!info.cuda?.available && info.libtorch?.builtWithCuda });

// TF32 (LibTorch's default for cuDNN convolutions) alone moves gradients by several percent
// (seen: 4.5e-2 on vgg16, 0.2 on random-init inception_v3); compare in true fp32.
native().internal.benchSetTf32(false);
const x = rand([2, 3, 128, 128], 1);
const y = rand([2, 3, 128, 128], 2);
for (const arch of archs) {
  try {
    const cpu = await LossNetwork.load(arch, { device: 'cpu' });
    const gpu = await LossNetwork.load(arch, { device: 'cuda' });
    const layers = [1, cpu.size - 2];
    const [fc, fg] = await Promise.all([cpu.features(x, layers), gpu.features(x, layers)]);
    const featErr = Math.max(...fc.map((f, i) => relErr(fg[i].data, f.data)));
    const lc = await perceptualLoss(x, y, { network: cpu, layers, grad: true });
    const lg = await perceptualLoss(x, y, { network: gpu, layers, grad: true });
    const gradErr = relErr(lg.grad.data, lc.grad.data);
    report({
      check: 'features+grad cuda vs cpu',
      arch,
      device: gpu.device,
      featErr,
      lossCpu: lc.loss,
      lossCuda: lg.loss,
      gradErr,
      ok: featErr < 1e-2 && gradErr < 1e-2,
    });
    cpu.dispose();
    gpu.dispose();
  } catch (e) {
    report({ check: 'features+grad cuda vs cpu', arch, error: e.message, ok: false });
  }
}

try {
  const net = await LossNetwork.load(archs[0], { device: 'cuda', normalization: 'none' });
  const trainer = await SuperResolutionTrainer.create(net, { factor: 4, layer: 8, seed: 0 });
  const lr = rand([4, 3, 72, 72], 3);
  const hr = rand([4, 3, 288, 288], 4);
  const losses = [];
  const t = performance.now();
  for (let i = 0; i < 20; i++) losses.push(await trainer.step(lr, hr));
  const ms = (performance.now() - t) / 20;
  report({
    check: 'super-resolution x4 steps on cuda',
    arch: archs[0],
    firstLoss: losses[0],
    lastLoss: losses.at(-1),
    msPerStep: ms,
    ok: losses.at(-1) < losses[0],
  });
  trainer.dispose();
  net.dispose();
} catch (e) {
  report({ check: 'super-resolution x4 steps on cuda', error: e.message, ok: false });
}

try {
  await LossNetwork.load(archs[0], { device: 'cuda:7' });
  report({ check: 'missing device index is an error', ok: false });
} catch (e) {
  report({ check: 'missing device index is an error', message: e.message, ok: /does not exist/.test(e.message) });
}
process.exitCode = failed ? 1 : 0;
