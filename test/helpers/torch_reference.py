#!/usr/bin/env python3
"""Reference features and gradients from Python torchvision, for the tests.

Builds the torchvision model fresh, cuts it with the same children rule, and
loads the weights of the dpl-torch export into it, so both sides run the same
weights through different code: LibTorch from Node, torchvision from Python.

Reads one JSON request on stdin:
  {"arch", "pt", "input": file of float32 NCHW, "shape", "layers",
   "normalization": none|imagenet|lpips,
   "target": optional file (same shape) -> also loss and grad w.r.t. input,
   "distance": mse|l1, "out": folder}
Writes out/feature_<i>.f32 and out/result.json (shapes, loss, grad file).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loss_networks import build_model, features, trunk  # noqa: E402

MEAN = {"imagenet": (0.485, 0.456, 0.406), "lpips": (-0.030, -0.088, -0.188)}
STD = {"imagenet": (0.229, 0.224, 0.225), "lpips": (0.458, 0.448, 0.450)}


def normalize(x, how):
    if how == "none":
        return x
    if how == "lpips":
        x = x * 2 - 1
    m = torch.tensor(MEAN[how]).view(1, 3, 1, 1)
    s = torch.tensor(STD[how]).view(1, 3, 1, 1)
    return (x - m) / s


def load(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape))


def main():
    req = json.load(sys.stdin)
    torch.manual_seed(1234)  # any init: the export's weights replace it
    seq = trunk(req["arch"], build_model(req["arch"]))
    seq.load_state_dict(torch.jit.load(req["pt"]).state_dict())
    seq.eval()
    for p in seq.parameters():
        p.requires_grad_(False)
    x = load(req["input"], req["shape"]).requires_grad_("target" in req)
    feats = features(seq, normalize(x, req["normalization"]), req["layers"])
    result = {"shapes": [list(f.shape) for f in feats]}
    for i, f in enumerate(feats):
        f.detach().numpy().astype("<f4").tofile(os.path.join(req["out"], f"feature_{i}.f32"))
    if "target" in req:
        with torch.no_grad():
            target = features(seq, normalize(load(req["target"], req["shape"]), req["normalization"]), req["layers"])
        loss_fn = torch.nn.functional.mse_loss if req.get("distance", "mse") == "mse" else torch.nn.functional.l1_loss
        loss = sum(loss_fn(a, b) for a, b in zip(feats, target))
        (grad,) = torch.autograd.grad(loss, x)
        grad.numpy().astype("<f4").tofile(os.path.join(req["out"], "grad.f32"))
        result["loss"] = float(loss)
    with open(os.path.join(req["out"], "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
