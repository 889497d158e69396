#!/usr/bin/env python3
"""Reference U-Net forward pass and training step for the delineation tests,
written from spec/delineation.md (not from the native code).

Reads one JSON request on stdin:
  {"op": "forward" | "step", "state": {name: [file of float32, shape]},
   "images": file, "masks": file, "shape": [N, 3, H, W], "iterations": K,
   "mu": feature weight, "lr": Adam's rate, "out": folder,
   and for the feature term "arch", "pt" (a dpl-torch export), "layer"}
forward: eval mode, K iterations; writes out/output.f32 (the last iteration).
step: train mode, the spec's loss, one Adam step; writes out/<name>.f32 for the
updated state and out/result.json with the loss.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from loss_networks import build_model, features, trunk  # noqa: E402

MEAN = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
STD = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)


class Down(nn.Module):
    """Pre-activation: [LeakyReLU(0.2)] -> Conv2d k4 s2 p1 (no bias) -> BatchNorm."""

    def __init__(self, cin, cout, activate):
        super().__init__()
        self.act = nn.LeakyReLU(0.2) if activate else nn.Identity()
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(self.act(x)))


class Up(nn.Module):
    """Pre-activation: ReLU -> ConvTranspose2d k4 s2 p1 (no bias) -> BatchNorm."""

    def __init__(self, cin, cout):
        super().__init__()
        self.act = nn.ReLU()
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(self.act(x)))


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1, self.down2 = Down(4, 8, False), Down(8, 16, True)
        self.down3, self.down4 = Down(16, 32, True), Down(32, 32, True)
        self.up4, self.up3 = Up(32, 32), Up(64, 16)
        self.up2, self.up1 = Up(32, 8), Up(16, 1)  # up1's BatchNorm2d(1): the final BatchNorm

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        u = self.up4(self.down4(d3))
        u = self.up3(torch.cat([u, d3], 1))
        u = self.up2(torch.cat([u, d2], 1))
        return torch.sigmoid(self.up1(torch.cat([u, d1], 1)))


def refine(net, image, k):
    y, outs = torch.zeros_like(image[:, :1]), []
    for _ in range(k):
        y = net(torch.cat([image, y], 1))
        outs.append(y)
    return outs


def load(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape))


def main():
    req = json.load(sys.stdin)
    net = UNet()
    state = {}
    for name, (path, shape) in req["state"].items():
        t = load(path, shape)
        state[name] = t.long() if name.endswith("num_batches_tracked") else t
    net.load_state_dict(state)
    n, _, h, w = req["shape"]
    images = load(req["images"], req["shape"])
    masks = load(req["masks"], [n, 1, h, w])
    k = req["iterations"]
    out = req["out"]
    if req["op"] == "forward":
        net.eval()
        with torch.no_grad():
            refine(net, images, k)[-1].numpy().astype("<f4").tofile(os.path.join(out, "output.f32"))
        return
    loss_net = None
    if req.get("pt"):
        torch.manual_seed(1234)  # any init: the export's weights replace it
        loss_net = trunk(req["arch"], build_model(req["arch"]))
        loss_net.load_state_dict(torch.jit.load(req["pt"]).state_dict())
        loss_net.eval()
        for p in loss_net.parameters():
            p.requires_grad_(False)
    phi = lambda m: features(list(loss_net.children()), (m.repeat(1, 3, 1, 1) - MEAN) / STD, [req["layer"]])[0]  # noqa: E731
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=req["lr"])
    outs = refine(net, images, k)
    weights = k * (k + 1) / 2
    loss = sum((i + 1) * F.binary_cross_entropy(y, masks) for i, y in enumerate(outs)) / weights
    if loss_net is not None and req["mu"] > 0:
        with torch.no_grad():
            target = phi(masks)
        loss = loss + req["mu"] * sum((i + 1) * F.mse_loss(phi(y), target) for i, y in enumerate(outs)) / weights
    opt.zero_grad()
    loss.backward()
    opt.step()
    for name, t in net.state_dict().items():
        t.detach().float().numpy().astype("<f4").tofile(os.path.join(out, name + ".f32"))
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"loss": float(loss)}, f)


if __name__ == "__main__":
    main()
