#!/usr/bin/env python3
"""The Python PyTorch side of `npm run bench`: the same training steps as dpl-torch.

Run with Debian's /usr/bin/python3 (torch 1.13, the same LibTorch as the addon),
or any Python torch (the GPU check uses torch 2.x CUDA). It serves one JSON
request per line on stdin and answers one JSON line on stdout, so the harness can
keep a model loaded and alternate Python and native repetitions:

  {"op": "load", "kind": "loss", ...}   build the step (see KINDS), answer {"threads", "torch"}
  {"op": "time", "steps": k}            run k steps, answer {"seconds": [...], "cpu": [...], "loss"}
                                        (wall and process CPU seconds per step)
  {"op": "check", "out": dir}           one step; write dir/grad.f32, answer {"loss", "shape"}
  {"op": "flops"}                       the loss step's forward FLOPs for one image (see count_flops)
  {"op": "quit"}

The loss-network step uses torchvision's own modules (the study's Python code is
torchvision, so this is what a user would otherwise run), cut with the same
children rule as the export and loaded with the export's weights; "model":
"torchscript" runs the exported TorchScript module instead (for a torch without
torchvision).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from loss_networks import features  # noqa: E402  (shared with the export and the test reference)

MEAN = {"imagenet": (0.485, 0.456, 0.406), "lpips": (-0.030, -0.088, -0.188)}
STD = {"imagenet": (0.229, 0.224, 0.225), "lpips": (0.458, 0.448, 0.450)}
AMP = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def load_f32(path, shape, device):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape)).to(device)


class Normalize:
    def __init__(self, how, device):
        self.how = how
        if how != "none":
            self.m = torch.tensor(MEAN[how], device=device).view(1, 3, 1, 1)
            self.s = torch.tensor(STD[how], device=device).view(1, 3, 1, 1)

    def __call__(self, x):
        if self.how == "none":
            return x
        if self.how == "lpips":
            x = x * 2 - 1
        return (x - self.m) / self.s


def loss_network(req, device, trainable=False):
    """The trunk as an nn.Sequential (indices = study layers): frozen and in eval
    mode, or with `trainable` (similarity tune/scratch) its parameters trained."""
    if req.get("model", "torchvision") == "torchscript":
        seq = torch.jit.load(req["pt"], map_location=device)
    else:
        from loss_networks import build_model, trunk

        seq = trunk(req["arch"], build_model(req["arch"]))
        seq.load_state_dict(torch.jit.load(req["pt"], map_location="cpu").state_dict())
        seq = seq.to(device)
    seq.eval()
    for p in seq.parameters():
        p.requires_grad_(trainable)
    return seq


class LossStep:
    """One deep-perceptual-loss training step: features of the output image with
    grad, of the target without, the sum over layers of the MSE, and the gradient
    with respect to the output image (what trains the network that made it)."""

    def __init__(self, req, device, amp):
        self.children = list(loss_network(req, device).children())
        self.layers = req["layers"]
        self.norm = Normalize(req.get("normalization", "imagenet"), device)
        self.output = load_f32(req["input"], req["shape"], device)
        self.target = load_f32(req["target"], req["shape"], device)
        self.device, self.amp = device, amp

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp, enabled=self.amp is not None)

    def step(self):
        with torch.no_grad(), self.autocast():
            target = features(self.children, self.norm(self.target), self.layers)
        x = self.output.detach().requires_grad_(True)
        with self.autocast():
            feats = features(self.children, self.norm(x), self.layers)
        loss = sum(F.mse_loss(f.float(), t.float()) for f, t in zip(feats, target))
        (grad,) = torch.autograd.grad(loss, x)
        return loss, grad


class SrNet(torch.nn.Module):
    """super-resolution.md's transformation network, written from the spec."""

    @staticmethod
    def conv_block(cin, cout, k, relu):
        layers = [torch.nn.ReflectionPad2d(k // 2), torch.nn.Conv2d(cin, cout, k), torch.nn.BatchNorm2d(cout)]
        return torch.nn.Sequential(*layers, *([torch.nn.ReLU()] if relu else []))

    class Residual(torch.nn.Module):
        def __init__(self, c):
            super().__init__()
            self.a = SrNet.conv_block(c, c, 3, True)
            self.b = SrNet.conv_block(c, c, 3, False)

        def forward(self, x):
            return self.b(self.a(x)) + x

    def __init__(self, factor):
        super().__init__()
        blocks = [self.conv_block(3, 64, 9, True)] + [self.Residual(64) for _ in range(4)]
        up = 1
        while up < factor:
            blocks += [torch.nn.Upsample(scale_factor=2, mode="nearest"), self.conv_block(64, 64, 3, True)]
            up *= 2
        self.body = torch.nn.Sequential(*blocks, self.conv_block(64, 3, 9, False))

    def forward(self, x):
        return (torch.tanh(self.body(x)) + 1) / 2


class SrStep:
    """One super-resolution training step: SR network forward (train mode), MSE
    between loss-network features of output and HR at one layer (no input
    normalisation), backward into the SR network, Adam (lr 1e-3) update."""

    def __init__(self, req, device, amp):
        self.children = list(loss_network(req, device).children())
        self.layers = req["layers"]
        torch.manual_seed(0)
        self.net = SrNet(req["factor"]).to(device).train()
        self.param_count = sum(p.numel() for p in self.net.parameters())
        if req.get("expectParameters") and self.param_count != req["expectParameters"]:
            raise ValueError(f"SrNet has {self.param_count} parameters, the native one {req['expectParameters']}")
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.lr = load_f32(req["input"], req["lrShape"], device)
        self.hr = load_f32(req["target"], req["shape"], device)
        self.device, self.amp = device, amp

    def step(self):
        ac = lambda: torch.autocast(self.device.type, dtype=self.amp, enabled=self.amp is not None)  # noqa: E731
        with torch.no_grad(), ac():
            target = features(self.children, self.hr, self.layers)
        with ac():
            out = self.net(self.lr)
            feats = features(self.children, out, self.layers)
        loss = sum(F.mse_loss(f.float(), t.float()) for f, t in zip(feats, target))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach(), None


class SimStep:
    """One training step of similarity.md's 'lin', 'tune' or 'scratch' variant,
    written from the spec: the loss network gives features of ref, p0 and p1 at
    the layers (three passes, as the LPIPS code does), frozen in eval mode without
    grad (lin) or trained in train mode (tune, scratch: BatchNorm on batch
    statistics, back to eval mode after the step); per layer, channel
    unit-normalisation y / sqrt(sum_c y^2 + eps), squared difference, dropout 0.5
    and a 1x1 convolution C->1 without bias, spatial mean; sum over layers gives
    d0 = D(ref, p0) and d1 = D(ref, p1); the judge MLP 5->32->32->1 (LeakyReLU 0.2,
    sigmoid) predicts the chance that p1 was chosen; BCE against the judge values;
    Adam (lr 1e-3, betas (0.5, 0.999)) on channel weights, judge (and trunk);
    channel weights clamped to >= 0 after the step.

    "mask": "uniform" draws the dropout mask as dpl-torch does on CPU (uniform
    floats < 0.5, kept values x2) from the default generator, so that with the
    same generator state both sides drop the same elements (test/helpers/
    train_reference.py); the default is nn.Dropout's own draw."""

    EPS = 1e-10  # src/similarity.ts CHANNEL_NORM_EPS: inside the square root

    def __init__(self, req, device, amp):
        if amp is not None:
            raise ValueError("the similarity step has no mixed precision (the native trainer is fp32)")
        self.trainable = req.get("variant", "lin") in ("tune", "scratch")
        self.trunk = loss_network(req, device, self.trainable)
        self.children = list(self.trunk.children())
        self.layers = req["layers"]
        self.norm = Normalize(req.get("normalization", "imagenet"), device)
        self.uniform_mask = req.get("mask", "dropout") == "uniform"
        shape = req["shape"]
        self.batch = self.load_batch(req, shape, device) if "ref" in req else None
        with torch.no_grad():  # channel counts from one eval-mode probe
            probe = torch.zeros(1, 3, shape[2], shape[3], device=device)
            channels = [f.shape[1] for f in features(self.children, self.norm(probe), self.layers)]
        torch.manual_seed(0)
        self.lins = torch.nn.ModuleList(
            torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Conv2d(c, 1, 1, bias=False)) for c in channels
        )
        with torch.no_grad():
            for lin in self.lins:
                lin[1].weight.clamp_(min=0)
        self.g = torch.nn.Sequential(
            torch.nn.Linear(5, 32), torch.nn.LeakyReLU(0.2),
            torch.nn.Linear(32, 32), torch.nn.LeakyReLU(0.2),
            torch.nn.Linear(32, 1), torch.nn.Sigmoid(),
        )
        self.lins.to(device).train()
        self.g.to(device).train()
        # The native model's order: channel weights per layer, judge, trunk.
        self.params = [lin[1].weight for lin in self.lins] + list(self.g.parameters())
        if self.trainable:
            self.params += list(self.trunk.parameters())
        self.param_count = sum(p.numel() for p in self.params)
        if req.get("expectParameters") and self.param_count != req["expectParameters"]:
            raise ValueError(f"SimStep has {self.param_count} parameters, the native one {req['expectParameters']}")
        self.optimizer = torch.optim.Adam(self.params, lr=1e-3, betas=(0.5, 0.999))

    @staticmethod
    def load_batch(req, shape, device):
        return [load_f32(req[k], shape, device) for k in ("ref", "p0", "p1")] + [load_f32(req["judge"], [shape[0]], device)]

    def dropout(self, z):
        if self.uniform_mask:
            return z * torch.rand_like(z).lt_(0.5).mul_(2)
        return torch.nn.functional.dropout(z, 0.5, training=True)

    def distance(self, fa, fb, training):
        total = 0
        for lin, ya, yb in zip(self.lins, fa, fb):
            ya = ya / torch.sqrt(ya.pow(2).sum(1, keepdim=True) + self.EPS)
            yb = yb / torch.sqrt(yb.pow(2).sum(1, keepdim=True) + self.EPS)
            z = (ya - yb) ** 2
            if training:
                z = self.dropout(z)
            total = total + lin[1](z).mean((2, 3)).view(-1)
        return total

    def step(self, batch=None, lr=1e-3):
        ref, p0, p1, judge = batch or self.batch
        if self.trainable:
            self.trunk.train()
        with torch.set_grad_enabled(self.trainable):
            fr, f0, f1 = (features(self.children, self.norm(x), self.layers) for x in (ref, p0, p1))
        d0, d1 = self.distance(fr, f0, True), self.distance(fr, f1, True)
        prob = self.g(torch.stack([d0, d1, d0 - d1, d0 / (d1 + 0.1), d1 / (d0 + 0.1)], 1)).view(-1)
        loss = F.binary_cross_entropy(prob, judge)
        self.optimizer.zero_grad()
        loss.backward()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()
        with torch.no_grad():
            for lin in self.lins:
                lin[1].weight.clamp_(min=0)
        self.trunk.eval()
        return loss.detach(), None

    @torch.no_grad()
    def eval_distance(self, a, b):
        """D(a, b) in eval mode (no dropout, BatchNorm on running statistics)."""
        self.trunk.eval()
        fa = features(self.children, self.norm(a), self.layers)
        fb = features(self.children, self.norm(b), self.layers)
        return self.distance(fa, fb, False)


class UNet(torch.nn.Module):
    """delineation.md's U-Net, written from the spec: pre-activation blocks
    (activation -> conv without bias -> BatchNorm), down Conv2d k4 s2 p1 with
    LeakyReLU(0.2) (none before the first), up ConvTranspose2d k4 s2 p1 with
    ReLU, skips concatenated after the up block's output, a sigmoid at the end."""

    @staticmethod
    def block(cin, cout, act, up):
        conv = (torch.nn.ConvTranspose2d if up else torch.nn.Conv2d)(cin, cout, 4, 2, 1, bias=False)
        return torch.nn.Sequential(*([act] if act is not None else []), conv, torch.nn.BatchNorm2d(cout))

    def __init__(self):
        super().__init__()
        leaky, relu = torch.nn.LeakyReLU(0.2), torch.nn.ReLU()
        self.down = torch.nn.ModuleList([self.block(4, 8, None, False), self.block(8, 16, leaky, False),
                                         self.block(16, 32, leaky, False), self.block(32, 32, leaky, False)])
        self.up = torch.nn.ModuleList([self.block(32, 32, relu, True), self.block(64, 16, relu, True),
                                       self.block(32, 8, relu, True), self.block(16, 1, relu, True)])

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
        x = self.up[0](skips[3])
        for up, skip in zip(self.up[1:], reversed(skips[:3])):
            x = up(torch.cat([x, skip], 1))
        return torch.sigmoid(x)


class DelineationStep:
    """One delineation training step: K refinement iterations of the U-Net
    (train mode, shared weights, y0 = 0, yi = UNet(cat(image, y(i-1)))), the loss
    sum_i i*BCE(yi, y)/(K(K+1)/2) + mu * sum_i i*MSE(F(yi), F(y))/(K(K+1)/2) with
    F the frozen loss network on the mask repeated to 3 channels (ImageNet
    normalisation), backward through every iteration, Adam (lr 1e-3)."""

    def __init__(self, req, device, amp):
        if amp is not None:
            raise ValueError("the delineation step has no mixed precision (the native trainer is fp32)")
        self.children = loss_network(req, device)
        self.layers = req["layers"]
        self.norm = Normalize(req.get("normalization", "imagenet"), device)
        self.k, self.mu = req["iterations"], req["mu"]
        torch.manual_seed(0)
        self.net = UNet().to(device).train()
        self.param_count = sum(p.numel() for p in self.net.parameters())
        if req.get("expectParameters") and self.param_count != req["expectParameters"]:
            raise ValueError(f"UNet has {self.param_count} parameters, the native one {req['expectParameters']}")
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.images = load_f32(req["input"], req["shape"], device)
        self.masks = load_f32(req["target"], req["maskShape"], device)

    def phi(self, m):
        return features(self.children, self.norm(m.repeat(1, 3, 1, 1)), self.layers)[0]

    def step(self):
        with torch.no_grad():
            target = self.phi(self.masks)
        y, bce, feat = torch.zeros_like(self.masks), 0, 0
        for i in range(1, self.k + 1):
            y = self.net(torch.cat([self.images, y], 1))
            bce = bce + i * F.binary_cross_entropy(y, self.masks)
            feat = feat + i * F.mse_loss(self.phi(y), target)
        weights = self.k * (self.k + 1) / 2
        loss = bce / weights + self.mu * feat / weights
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach(), None


# Benchmark steps are one entry each: a class with __init__(req, device, amp) and
# step() -> (loss, grad or None). Add one per benchmark, and its twin in entries.ts.
class Autoencoder(torch.nn.Module):
    """autoencoder.md's four-layer convolutional autoencoder (code size z), written
    from the spec: four Conv2d(k4, s2) -> BatchNorm2d -> ReLU blocks 3->32->64->128->256,
    flatten, Linear -> z; Linear(z -> 1024 g^2), ReLU, reshape (1024, g, g),
    ConvTranspose2d 1024->128 k5, 128->64 k5, 64->32 k6 (each -> BatchNorm2d -> ReLU),
    32->3 k6, sigmoid; stride 2 and no padding throughout; g = (side - 64) / 16 + 1."""

    def __init__(self, side=64, z=64):
        super().__init__()
        nn = torch.nn
        g, e = (side - 64) // 16 + 1, side
        for _ in range(4):
            e = (e - 4) // 2 + 1
        ch = [3, 32, 64, 128, 256]
        enc = []
        for a, b in zip(ch, ch[1:]):
            enc += [nn.Conv2d(a, b, 4, 2), nn.BatchNorm2d(b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(256 * e * e, z))
        dec = [nn.Linear(z, 1024 * g * g), nn.ReLU(), nn.Unflatten(1, (1024, g, g))]
        for a, b, k in [(1024, 128, 5), (128, 64, 5), (64, 32, 6)]:
            dec += [nn.ConvTranspose2d(a, b, k, 2), nn.BatchNorm2d(b), nn.ReLU()]
        self.decoder = nn.Sequential(*dec, nn.ConvTranspose2d(32, 3, 6, 2), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class Probe(torch.nn.Module):
    """autoencoder.md's probe: Linear layers through `hidden`, LeakyReLU(0.01) after each hidden one, no output activation."""

    def __init__(self, inputs, hidden, outputs=10):
        super().__init__()
        layers, n = [], inputs
        for h in hidden:
            layers += [torch.nn.Linear(n, h), torch.nn.LeakyReLU(0.01)]
            n = h
        self.layers = torch.nn.Sequential(*layers, torch.nn.Linear(n, outputs))

    def forward(self, x):
        return self.layers(x)


def ae_input(images, pad):
    """uint8 NCHW images -> [0,1] floats, reflection-padded by `pad` on every side (SVHN: 32 -> 64)."""
    x = images.float() / 255
    return F.pad(x, (pad, pad, pad, pad), mode="reflect") if pad else x


class AeStep:
    """One autoencoder training step (autoencoder.md): uint8 images to [0,1],
    reflection-padded (SVHN 32x32 by 16 to 64x64), the autoencoder forward in
    train mode, MSE between features of reconstruction and input at one layer of
    the frozen loss network (raw [0,1] input, no normalisation), or the pixel MSE
    without one, backward, Adam (lr 1e-3, betas 0.9/0.999)."""

    def __init__(self, req, device, amp):
        if amp is not None:
            raise ValueError("the autoencoder step has no mixed precision (the native trainer is fp32)")
        self.children = loss_network(req, device) if req.get("pt") else None
        self.layers = req.get("layers", [])
        torch.manual_seed(0)
        self.net = Autoencoder(req["side"]).to(device).train()
        self.param_count = sum(p.numel() for p in self.net.parameters())
        if req.get("expectParameters") and self.param_count != req["expectParameters"]:
            raise ValueError(f"Autoencoder has {self.param_count} parameters, the native one {req['expectParameters']}")
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3, betas=(0.9, 0.999))
        shape = req["shape"]
        self.images = torch.from_numpy(np.fromfile(req["input"], dtype=np.uint8).reshape(shape)).to(device)
        self.pad = req["pad"]

    def step(self):
        x = ae_input(self.images, self.pad)
        out = self.net(x)
        if self.children is None:
            loss = F.mse_loss(out, x)
        else:
            with torch.no_grad():
                target = features(self.children, x, self.layers)[0]
            loss = F.mse_loss(features(self.children, out, self.layers)[0], target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach(), None


# Benchmark steps are one entry each: a class with __init__(req, device, amp) and
# step() -> (loss, grad or None). Add one per benchmark, and its twin in entries.ts.
KINDS = {"loss": LossStep, "sr": SrStep, "similarity": SimStep, "delineation": DelineationStep, "autoencoder": AeStep}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def count_flops(children, x, layers):
    """FLOPs of one forward of x up to the deepest layer, counting Conv2d and Linear only
    (2 per multiply-add; bench/README.md has the rule): forward hooks on every module."""
    total = [0]

    def conv(m, inp, out):
        kh, kw = m.kernel_size
        total[0] += 2 * out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear(m, inp, out):
        total[0] += 2 * out.numel() * m.in_features

    hooks = []
    for child in children:
        for m in child.modules():
            if isinstance(m, torch.nn.Conv2d):
                hooks.append(m.register_forward_hook(conv))
            elif isinstance(m, torch.nn.Linear):
                hooks.append(m.register_forward_hook(linear))
    try:
        with torch.no_grad():
            features(children, x, layers)
    finally:
        for h in hooks:
            h.remove()
    return total[0]


def main():
    stepper, device = None, None
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req["op"]
        try:
            if op == "load":
                if req.get("threads"):
                    torch.set_num_threads(int(req["threads"]))
                device = torch.device(req.get("device", "cpu"))
                if "tf32" in req:  # CUDA fp32 convolutions/matmuls in TF32 (PyTorch's default: convolutions only)
                    torch.backends.cudnn.allow_tf32 = bool(req["tf32"])
                    torch.backends.cuda.matmul.allow_tf32 = bool(req["tf32"])
                kind = KINDS.get(req.get("kind", "loss"))
                if kind is None:
                    raise ValueError(f"unknown step kind {req.get('kind')!r}; known: {sorted(KINDS)}")
                stepper = kind(req, device, AMP[req.get("amp", "none")])
                answer = {"threads": torch.get_num_threads(), "torch": torch.__version__}
                if hasattr(stepper, "param_count"):
                    answer["parameters"] = stepper.param_count
            elif op == "time":
                seconds, cpu, loss = [], [], None
                for _ in range(int(req.get("steps", 1))):
                    sync(device)
                    t, c = time.perf_counter(), time.process_time()
                    loss, _ = stepper.step()
                    loss = float(loss)  # the native step returns the loss value too
                    sync(device)
                    cpu.append(time.process_time() - c)
                    seconds.append(time.perf_counter() - t)
                answer = {"seconds": seconds, "cpu": cpu, "loss": loss}
            elif op == "check":
                loss, grad = stepper.step()
                answer = {"loss": float(loss)}
                if grad is not None:
                    g = grad.detach().float().cpu().contiguous().numpy()
                    g.astype("<f4").tofile(os.path.join(req["out"], "grad.f32"))
                    answer["shape"] = list(g.shape)
            elif op == "flops":
                x = stepper.norm(stepper.output[:1])
                answer = {"flops": count_flops(stepper.children, x, stepper.layers)}
            elif op == "quit":
                return
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as e:  # answer, so the harness can say which network failed
            answer = {"error": f"{type(e).__name__}: {e}"}
        # fp16 can overflow to inf/NaN (e.g. random-init inception_v3); JSON has no NaN: send null.
        answer = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in answer.items()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
