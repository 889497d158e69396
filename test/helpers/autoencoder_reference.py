#!/usr/bin/env python3
"""Python PyTorch references for test/autoencoder.test.ts: the autoencoder and
the probes written from the spec (bench/reference_step.py, which the bench
times too), loaded with the state dict of the native model.

Reads one JSON request on stdin; tensors travel as raw little-endian files:
state folders hold state.json ({name: shape}) and <name>.f32.
  {"op": "forward", "side", "state", "input" (uint8 NCHW), "shape", "pad", "out"}
      -> out/output.f32, out/codes.f32 (eval mode); answers {"parameters"}
  {"op": "step", "side", "state", "input", "shape", "pad", "arch"?, "pt"?, "layer"?, "out"}
      -> one Adam step in train mode (loss network layer, or pixel MSE without "pt");
         out/ holds the state after it; answers {"loss"}
  {"op": "probe_epoch", "hidden", "state", "codes" (float32 [N, D]), "labels" (uint8 [N]),
   "order" (int32), "batch", "out"}
      -> one epoch of Adam steps in that order; out/ holds the state after it;
         answers {"loss": mean over samples, "metrics": {loss, l1, l2, accuracy} after it}
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from loss_networks import features  # noqa: E402
from reference_step import Autoencoder, Probe, ae_input, loss_network  # noqa: E402


def load_state(module, folder):
    shapes = json.load(open(os.path.join(folder, "state.json")))
    own = module.state_dict()
    state = {}
    for name, target in own.items():
        data = np.fromfile(os.path.join(folder, name + ".f32"), dtype="<f4").reshape(shapes[name])
        state[name] = torch.from_numpy(data).to(target.dtype).reshape(target.shape)
    module.load_state_dict(state)


def save_state(module, folder):
    os.makedirs(folder, exist_ok=True)
    shapes = {}
    for name, t in module.state_dict().items():
        a = t.detach().float().reshape(-1 if t.dim() == 0 else t.shape).numpy()
        a.astype("<f4").tofile(os.path.join(folder, name + ".f32"))
        shapes[name] = list(a.shape)
    json.dump(shapes, open(os.path.join(folder, "state.json"), "w"))


def images(req):
    return torch.from_numpy(np.fromfile(req["input"], dtype=np.uint8).reshape(req["shape"]))


def main():
    torch.set_num_threads(1)
    req = json.load(sys.stdin)
    op = req["op"]
    if op in ("forward", "step"):
        net = Autoencoder(req["side"])
        load_state(net, req["state"])
        x = ae_input(images(req), req["pad"])
        if op == "forward":
            net.eval()
            with torch.no_grad():
                codes = net.encoder(x)
                out = net.decoder(codes)
            out.numpy().astype("<f4").tofile(os.path.join(req["out"], "output.f32"))
            codes.numpy().astype("<f4").tofile(os.path.join(req["out"], "codes.f32"))
            print(json.dumps({"parameters": sum(p.numel() for p in net.parameters())}))
            return
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999))
        out = net(x)
        if req.get("pt"):
            children = loss_network({"arch": req["arch"], "pt": req["pt"]}, torch.device("cpu"))
            with torch.no_grad():
                target = features(children, x, [req["layer"]])[0]
            loss = F.mse_loss(features(children, out, [req["layer"]])[0], target)
        else:
            loss = F.mse_loss(out, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        save_state(net, req["out"])
        print(json.dumps({"loss": float(loss)}))
    elif op == "probe_epoch":
        codes = torch.from_numpy(np.fromfile(req["codes"], dtype="<f4").reshape(req["codesShape"]))
        labels = torch.from_numpy(np.fromfile(req["labels"], dtype=np.uint8).astype(np.int64))
        order = torch.from_numpy(np.fromfile(req["order"], dtype="<i4").astype(np.int64))
        targets = F.one_hot(labels, 10).float()
        mlp = Probe(codes.shape[1], req["hidden"])
        load_state(mlp, req["state"])
        opt = torch.optim.Adam(mlp.parameters())
        total = 0.0
        for start in range(0, len(order), req["batch"]):
            rows = order[start:start + req["batch"]]
            loss = F.mse_loss(mlp(codes[rows]), targets[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(rows)
        with torch.no_grad():
            out = mlp(codes)
            diff = (out - targets).double()
            metrics = {
                "loss": float(diff.pow(2).mean()),
                "l1": float(diff.abs().sum(1).mean()),
                "l2": float(diff.pow(2).sum(1).sqrt().mean()),
                "accuracy": float((out.argmax(1) == labels).double().mean()),
            }
        save_state(mlp, req["out"])
        print(json.dumps({"loss": total / len(order), "metrics": metrics}))
    else:
        raise SystemExit("unknown op " + op)


main()
