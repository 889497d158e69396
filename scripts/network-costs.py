"""Forward cost of each study loss network, child by child, for shard balancing.

Prints, per study network, the multiply-accumulates (GMACs, one 224x224 image)
of its children cumulated up to each child index: the cost of running the loss
network to that layer. Convolutions and linear layers are counted (they are the
work; activations, pooling and norms are noise at this resolution). The output
is pasted into src/study/cost.ts; rerun this script if the children rule changes.

usage: python3 scripts/network-costs.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loss_networks import build_model, children_of  # noqa: E402

STUDY = ["alexnet", "vgg11", "vgg16", "vgg16_bn", "vgg19", "densenet121", "resnet18", "resnet50",
         "resnext50_32x4d", "googlenet", "inception_v3", "squeezenet1_1", "efficientnet_b0", "efficientnet_b7"]


def cumulative_gmacs(arch):
    model = build_model(arch).eval()
    macs = [0]

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            macs[0] += output.numel() * k
        elif isinstance(module, torch.nn.Linear):
            macs[0] += output.numel() * module.in_features

    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.register_forward_hook(hook)
    out = []
    x = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        for _, child in children_of(arch, model):
            x = child(x)
            out.append(round(macs[0] / 1e9, 4))
    return out


if __name__ == "__main__":
    print(json.dumps({arch: cumulative_gmacs(arch) for arch in STUDY}, indent=1).replace("\n  ", " "))
