#!/usr/bin/env python3
"""Reads the linear-layer weights out of an LPIPS .pth (richzhang/PerceptualSimilarity).

LPIPS stores one 1x1 convolution C->1 without bias per layer, under
`lin<i>.model.1.weight` (`lin<i>.model.0.weight` when built without dropout),
shaped (1, C, 1, 1); a whole-model state dict also holds the trunk (`net.*`)
and the scaling layer, which are skipped. Prints JSON to stdout:
  {"lins": [[w_0, ..., w_{C-1}], ...]}   one list per lin index, in index order
Usage: read_lpips_weights.py FILE.pth
"""
import json
import re
import sys

import torch

KEY = re.compile(r"^(?:module\.)?lin(\d+)\.model\.\d+\.weight$")


def main():
    path = sys.argv[1]
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # a torch without weights_only
        state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict):
        raise SystemExit(f"{path} holds a {type(state).__name__}, not a state dict of LPIPS weights")
    lins = {}
    for key, value in state.items():
        m = KEY.match(key)
        if not m:
            continue
        if value.dim() != 4 or value.shape[0] != 1 or value.shape[2:] != (1, 1):
            raise SystemExit(f"{path}: {key} has shape {tuple(value.shape)}, expected (1, C, 1, 1)")
        i = int(m.group(1))
        if i in lins:
            raise SystemExit(f"{path}: two weights for lin{i}")
        lins[i] = value.reshape(-1).double().tolist()
    if not lins:
        raise SystemExit(f"{path} has no LPIPS linear layers (keys lin<i>.model.1.weight); its keys: {list(state)[:8]}")
    if sorted(lins) != list(range(len(lins))):
        raise SystemExit(f"{path}: LPIPS linear layers {sorted(lins)} are not lin0..lin{len(lins) - 1}")
    json.dump({"lins": [lins[i] for i in range(len(lins))]}, sys.stdout)


if __name__ == "__main__":
    main()
