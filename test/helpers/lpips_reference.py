#!/usr/bin/env python3
"""LPIPS as the official code computes it (richzhang/PerceptualSimilarity,
lpips/lpips.py and pretrained_networks.py), for the tests.

Written after that formulation, not after dpl-torch's: images in [-1, 1]
through the scaling layer ((x - shift) / scale); the torchvision trunk cut into
LPIPS's slices; normalize_tensor with eps *outside* the square root,
y / (sqrt(sum_c y^2) + eps); squared difference; each lin layer a module
holding `model = Sequential(Dropout(), Conv2d(C, 1, 1, bias=False))`, loaded
from the .pth with load_state_dict (so the file must have LPIPS's key layout);
spatial average; sum over layers. The trunk is torchvision's with the weights
of the dpl-torch export.

One JSON request on stdin:
  {"op": "write-pth", "out", "channels": [...], "seed"}: a .pth in LPIPS's layout:
      lin<i>.model.1.weight (1, C, 1, 1), non-negative with some zeros, beside the
      scaling_layer.* and net.* keys a whole-model state dict also holds
  {"op": "distance", "arch", "pt", "pth", "a", "b", "shape", "out"}: float32 distances of [0,1] batches a, b
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loss_networks import build_model, trunk  # noqa: E402

# pretrained_networks.py: the features children each slice covers.
SLICES = {
    "alexnet": [(0, 2), (2, 5), (5, 8), (8, 10), (10, 12)],
    "vgg16": [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)],
    "squeezenet1_1": [(0, 2), (2, 5), (5, 8), (8, 10), (10, 11), (11, 12), (12, 13)],
}
SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)


def normalize_tensor(x, eps=1e-10):
    norm_factor = torch.sqrt(torch.sum(x ** 2, dim=1, keepdim=True))
    return x / (norm_factor + eps)


class NetLinLayer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = torch.nn.Sequential(torch.nn.Dropout(), torch.nn.Conv2d(c, 1, 1, stride=1, padding=0, bias=False))


class Lins(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        for i, c in enumerate(channels):
            setattr(self, f"lin{i}", NetLinLayer(c))
        self.n = len(channels)

    def __getitem__(self, i):
        return getattr(self, f"lin{i}")


def write_pth(req):
    g = torch.Generator().manual_seed(req["seed"])
    state = OrderedDict()
    state["scaling_layer.shift"] = SHIFT.clone()
    state["scaling_layer.scale"] = SCALE.clone()
    for i, c in enumerate(req["channels"]):
        w = torch.rand(1, c, 1, 1, generator=g) * 0.2 - 0.05
        state[f"lin{i}.model.1.weight"] = w.clamp(min=0)
    state["net.slice1.0.weight"] = torch.zeros(2, 3, 1, 1)
    torch.save(state, req["out"])


def distance(req):
    arch = req["arch"]
    seq = trunk(arch, build_model(arch))
    seq.load_state_dict(torch.jit.load(req["pt"]).state_dict())
    seq.eval()
    slices = [torch.nn.Sequential(*[seq[j] for j in range(a, b)]) for a, b in SLICES[arch]]
    state = torch.load(req["pth"], map_location="cpu")
    lin_state = OrderedDict((k, v) for k, v in state.items() if k.startswith("lin"))
    lins = Lins([lin_state[f"lin{i}.model.1.weight"].shape[1] for i in range(len(slices))])
    lins.load_state_dict(lin_state, strict=True)
    lins.eval()

    def outs(x):
        h = (2 * x - 1 - SHIFT) / SCALE  # LPIPS(normalize=True): [0,1] -> [-1,1], then the scaling layer
        res = []
        for s in slices:
            h = s(h)
            res.append(h)
        return res

    shape = req["shape"]
    a = torch.from_numpy(np.fromfile(req["a"], dtype="<f4").reshape(shape))
    b = torch.from_numpy(np.fromfile(req["b"], dtype="<f4").reshape(shape))
    with torch.no_grad():
        oa, ob = outs(a), outs(b)
        val = 0
        for i in range(len(slices)):
            diff = (normalize_tensor(oa[i]) - normalize_tensor(ob[i])) ** 2
            val = val + lins[i].model(diff).mean([2, 3], keepdim=True)
    val.reshape(-1).numpy().astype("<f4").tofile(req["out"])


def main():
    req = json.load(sys.stdin)
    {"write-pth": write_pth, "distance": distance}[req["op"]](req)
    print("{}")


if __name__ == "__main__":
    main()
