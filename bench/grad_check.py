#!/usr/bin/env python3
"""Where a deep-perceptual-loss input gradient differs between paths, and why: plain vs
BatchNorm-folded ("fast") trunks, CPU vs CUDA, cuDNN deterministic on/off, folding in
fp32 vs fp64.

The open question (bench/README.md, "GPU"): on CUDA with TF32 off, the fast path's
inception_v3 input gradient differed from the plain path's by 16% (in norm) while
features and losses agreed to 3e-6. A trunk of ReLUs and max-pools is piecewise linear:
its gradient jumps where a ReLU's input crosses 0 or a max-pool's argmax changes. This
measures every variant against one reference, the plain trunk in float64 on the CPU,
counts the ReLUs and max-pool windows whose choice differs from the reference's
("flips"), and computes each variant once more with the reference's choices imposed
("gated"): if the gated gradient agrees with the reference to float rounding, the
difference is those flips (two valid gradients on either side of a kink), not an error
of the path.

  plain          the children as exported, fp32
  fold32/fold64  each conv+BN pair folded into one conv, weights computed in fp32 or fp64
                 (then stored as fp32), as the native fast path's freeze folds them
  freeze         torch.jit.freeze of each segment between the layers (PyTorch's folding,
                 as native/fast_path.cpp does; a graph, so no flips/gated columns)
  det            torch.backends.cudnn.deterministic = True
  again          plain once more: run-to-run spread of the CUDA kernels
  fp64           float64 throughout
  nudge          plain fp32 on an input moved by 1e-7 (about 1 ulp)

Rows: the loss at every study layer together ("all"), then at each layer alone.

  python3 bench/grad_check.py --models DIR [--arch inception_v3] [--size 64] [--batch 2]
It measures and prints; it does not judge (exit 0).
"""
import argparse
import copy
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from loss_networks import build_model, trunk  # noqa: E402

STUDY_LAYERS = {"inception_v3": [2, 7, 9, 14], "googlenet": [0, 5, 8, 15], "resnet50": [2, 4, 5, 7], "vgg16_bn": [5, 12, 22, 42]}
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def load_trunk(arch, models):
    """The exported network's weights in torchvision's modules (so conv+BN pairs can be folded)."""
    scripted = torch.jit.load(os.path.join(models, f"{arch}.pt"), map_location="cpu")
    model = trunk(arch, build_model(arch))
    model.load_state_dict(scripted.state_dict())
    return model.eval()


def fold(model, dtype):
    """A copy with every module's .conv/.bn pair (torchvision's BasicConv2d) folded, computed in `dtype`."""
    out = copy.deepcopy(model).double()
    for m in out.modules():
        conv, bn = getattr(m, "conv", None), getattr(m, "bn", None)
        if not isinstance(conv, torch.nn.Conv2d) or not isinstance(bn, torch.nn.BatchNorm2d):
            continue
        scale = bn.weight.to(dtype) / torch.sqrt(bn.running_var.to(dtype) + bn.eps)
        b = bn.bias.to(dtype) - bn.running_mean.to(dtype) * scale
        if conv.bias is not None:
            b = b + conv.bias.to(dtype) * scale
        folded = torch.nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups, bias=True)
        folded.weight.data = (conv.weight.to(dtype) * scale.view(-1, 1, 1, 1)).float()
        folded.bias.data = b.float()
        m.conv, m.bn = folded, torch.nn.Identity()
    return out.float()


class Gates:
    """Records every ReLU's on/off pattern and every max-pool's argmax, in call order;
    or, given a recording, imposes it (the gradient then follows the recorded choices)."""

    def __init__(self, impose=None):
        self.relus, self.pools, self.impose, self.i, self.j = [], [], impose, 0, 0

    def __enter__(self):
        self.saved = F.relu, F.max_pool2d
        relu, max_pool2d = self.saved

        def gated_relu(x, inplace=False):
            if self.impose is None:
                self.relus.append((x > 0).cpu())
                return relu(x, inplace=inplace)
            mask = self.impose.relus[self.i].to(x.device)
            self.relus.append((x > 0).cpu())
            self.i += 1
            return x * mask.to(x.dtype)

        def gated_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
            out, idx = max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
            self.pools.append(idx.cpu())
            if self.impose is not None:
                idx = self.impose.pools[self.j].to(x.device)
                self.j += 1
                out = x.flatten(2).gather(2, idx.flatten(2)).view_as(out)
            return (out, idx) if return_indices else out

        F.relu, F.max_pool2d = gated_relu, gated_max_pool2d
        return self

    def __exit__(self, *exc):
        F.relu, F.max_pool2d = self.saved

    def flips(self, ref):
        relu = sum((a != b).sum().item() for a, b in zip(self.relus, ref.relus))
        pool = sum((a != b).sum().item() for a, b in zip(self.pools, ref.pools))
        return relu, pool


def segments(model, layers):
    """The trunk cut after each layer asked for: the loss reads each segment's output."""
    children, out, start = list(model.children()), [], 0
    for layer in sorted(layers):
        out.append(torch.nn.Sequential(*children[start:layer + 1]))
        start = layer + 1
    return out


def run(model, device, dtype, a, b, layers, deterministic=False, freeze=False, gates=None):
    """Loss and input gradient (float64, on the CPU) of one variant."""
    torch.backends.cudnn.deterministic = deterministic
    try:
        segs = [s.to(device=device, dtype=dtype).eval() for s in segments(model, layers)]
        if freeze:
            segs = [torch.jit.freeze(torch.jit.script(s)) for s in segs]
        x = a.to(device=device, dtype=dtype).clone().requires_grad_(True)
        xa, xb = (x - MEAN.to(x)) / STD.to(x), (b.to(x) - MEAN.to(x)) / STD.to(x)
        loss = 0
        with gates or Gates():
            for seg in segs:
                xa, xb = seg(xa), seg(xb)
                loss = loss + torch.mean((xa - xb) ** 2)
            (g,) = torch.autograd.grad(loss, x)
        return loss.item(), g.double().cpu()
    finally:
        torch.backends.cudnn.deterministic = False


def rel(g, ref):
    return (torch.linalg.vector_norm(g - ref) / torch.linalg.vector_norm(ref)).item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", required=True)
    p.add_argument("--arch", default="inception_v3")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=2)
    args = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda if cuda else 'not available'}, cuDNN {torch.backends.cudnn.version() if cuda else '-'}; "
          f"{args.arch} from {args.models}, {args.batch}x3x{args.size}x{args.size}, TF32 off, cudnn.benchmark off")
    gen = torch.Generator().manual_seed(11)
    a = torch.rand(args.batch, 3, args.size, args.size, generator=gen)
    b = torch.rand(args.batch, 3, args.size, args.size, generator=gen)
    nudged = (a + 1e-7 * torch.randn(a.shape, generator=torch.Generator().manual_seed(5))).clamp(0, 1)
    model = load_trunk(args.arch, args.models)
    fold32, fold64 = fold(model, torch.float32), fold(model, torch.float64)
    # (label, model, device, dtype, cudnn deterministic, freeze, input)
    variants = [("cpu plain", model, "cpu", torch.float32, False, False, a), ("cpu fold32", fold32, "cpu", torch.float32, False, False, a),
                ("cpu fold64", fold64, "cpu", torch.float32, False, False, a), ("cpu freeze", model, "cpu", torch.float32, False, True, a),
                ("cpu nudge", model, "cpu", torch.float32, False, False, nudged)]
    if cuda:
        variants += [("cuda plain", model, "cuda", torch.float32, False, False, a), ("cuda again", model, "cuda", torch.float32, False, False, a),
                     ("cuda plain det", model, "cuda", torch.float32, True, False, a), ("cuda fold32", fold32, "cuda", torch.float32, False, False, a),
                     ("cuda fold32 det", fold32, "cuda", torch.float32, True, False, a), ("cuda fold64", fold64, "cuda", torch.float32, False, False, a),
                     ("cuda freeze", model, "cuda", torch.float32, False, True, a), ("cuda freeze det", model, "cuda", torch.float32, True, True, a),
                     ("cuda fp64", model, "cuda", torch.float64, False, False, a)]
    layers_all = STUDY_LAYERS.get(args.arch) or [len(list(model.children())) - 1]
    print(f"{'loss at':<9} {'variant':<16} {'loss':>11} {'|grad|':>10} {'vs fp64':>9} {'vs plain':>9} {'flips relu/pool':>15} {'gated vs fp64':>13}")
    for name, layers in [("all", layers_all)] + [(f"layer {l}", [l]) for l in layers_all]:
        ref_gates = Gates()
        ref_loss, ref = run(model, "cpu", torch.float64, a.double(), b.double(), layers, gates=ref_gates)
        print(f"{name:<9} {'cpu fp64 (ref)':<16} {ref_loss:>11.5g} {torch.linalg.vector_norm(ref).item():>10.4g}")
        plain = {}
        for label, m, device, dtype, det, frz, x in variants:
            seen = Gates()
            try:
                loss, g = run(m, device, dtype, x, b, layers, det, frz, seen)
            except Exception as e:  # e.g. freeze on a torch that dropped it: say so, go on
                print(f"{'':<9} {label:<16} not run: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
                continue
            if label.endswith(" plain"):
                plain[device] = g
            vs_plain = rel(g, plain[device]) if device in plain and not label.endswith(" plain") else float("nan")
            flips, gated = "", float("nan")
            if not frz and x is a:
                relu, pool = seen.flips(ref_gates)
                flips = f"{relu}/{pool}"
                _, gg = run(m, device, dtype, x, b, layers, det, frz, Gates(impose=ref_gates))
                gated = rel(gg, ref)
            print(f"{'':<9} {label:<16} {loss:>11.5g} {torch.linalg.vector_norm(g).item():>10.4g} {rel(g, ref):>9.2e} {vs_plain:>9.2e} {flips:>15} {gated:>13.2e}")


if __name__ == "__main__":
    main()
