#!/usr/bin/env python3
"""Reference perceptual distances from Python torch, for the tests.

Written from the spec (similarity.md), independently of the C++ code: the
loss network is built by torchvision and given the export's weights (as
torch_reference.py does), and the distance is computed with plain torch ops,
the learned weights applied as a 1x1 conv (C -> 1, no bias) as LPIPS does.

Reads one JSON request on stdin:
  {"arch", "pt", "a", "b": files of float32 NCHW, "shape", "layers",
   "normalization", "eps", "cases": [{"compare", "channelNorm",
   "weights": file of float32 (the per-(layer, branch) vectors one after
   another) or null, "out": file for the float32 distances}]}
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import features, load, normalize  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loss_networks import build_model, trunk  # noqa: E402


def branch_view(f, branch):
    if branch == "spatial":
        return f
    if branch == "mean":
        return f.mean(dim=(2, 3), keepdim=True)
    if branch == "sort":
        b, c, h, w = f.shape
        return torch.sort(f.reshape(b, c, h * w), dim=2).values.reshape(b, c, h * w, 1)
    raise ValueError(branch)


def main():
    req = json.load(sys.stdin)
    torch.manual_seed(1234)
    seq = trunk(req["arch"], build_model(req["arch"]))
    seq.load_state_dict(torch.jit.load(req["pt"]).state_dict())
    seq.eval()
    a = normalize(load(req["a"], req["shape"]), req["normalization"])
    b = normalize(load(req["b"], req["shape"]), req["normalization"])
    with torch.no_grad():
        fa = features(seq, a, req["layers"])
        fb = features(seq, b, req["layers"])
    for case in req["cases"]:
        distance(fa, fb, case, req["eps"]).float().numpy().astype("<f4").tofile(case["out"])


def distance(fa, fb, case, eps):
    branches = case["compare"].split("+")
    flat = np.fromfile(case["weights"], dtype="<f4") if case["weights"] else None
    offset = 0
    total = torch.zeros(fa[0].shape[0], dtype=torch.float64)
    for ya_full, yb_full in zip(fa, fb):
        for branch in branches:
            ya, yb = branch_view(ya_full, branch), branch_view(yb_full, branch)
            if case["channelNorm"]:
                ya = ya / torch.sqrt((ya * ya).sum(dim=1, keepdim=True) + eps)
                yb = yb / torch.sqrt((yb * yb).sum(dim=1, keepdim=True) + eps)
            z = (ya - yb) ** 2
            c = z.shape[1]
            if flat is not None:
                w = torch.from_numpy(flat[offset:offset + c].copy()).view(1, c, 1, 1)
                offset += c
                r = F.conv2d(z, w)[:, 0]
            else:
                r = z.sum(dim=1)
            total += r.mean(dim=(1, 2)).double()
    assert flat is None or offset == flat.size, "weights file has the wrong length"
    return total

if __name__ == "__main__":
    main()
