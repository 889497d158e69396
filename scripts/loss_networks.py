"""Which torchvision modules make up a loss network (study.md's children rule).

Shared by the export script and the test reference, so both cut networks the
same way. A loss network is the ordered children of one module; we keep the
children up to the first head (pooling, aux classifier, fc), since no study
layer reaches past it and those children need the model's own forward logic.
"""
import torch
import torchvision

# Children that end the usable trunk when we take a model's top-level children:
# classifier heads, and the aux heads that random-init GoogLeNet/Inception carry.
HEADS = {"AuxLogits", "aux1", "aux2", "fc", "dropout", "classifier"}
# ResNet's avgpool keeps an N×C×1×1 feature map and counts as a layer (9 children);
# GoogLeNet's does not (16 children whether or not the aux heads exist).
HEADS_WITH_POOL = HEADS | {"avgpool"}

FEATURES_FAMILIES = ("alexnet", "vgg", "densenet", "squeezenet", "mobilenet_v2", "mobilenet_v3", "efficientnet_b")
TOP_LEVEL_FAMILIES = ("resnet", "wide_resnet", "resnext", "shufflenet_v2", "googlenet", "inception_v3")


def build_model(arch, weights=None):
    """A torchvision model by name; `weights` is a torchvision weights enum or None."""
    kwargs = {}
    if weights is None and arch in ("googlenet", "inception_v3"):
        kwargs["init_weights"] = True  # silences torchvision's FutureWarning; same init as the default
    return torchvision.models.get_model(arch, weights=weights, **kwargs)


def children_of(arch, model):
    """The ordered (name, module) children that form the loss network."""
    if arch.startswith(FEATURES_FAMILIES):
        return list(model.features.named_children())
    if arch.startswith("mnasnet"):
        return list(model.layers.named_children())
    if arch.startswith("regnet_"):
        return [("stem." + n, m) for n, m in model.stem.named_children()] + [
            ("trunk_output." + n, m) for n, m in model.trunk_output.named_children()
        ]
    if arch.startswith(TOP_LEVEL_FAMILIES):
        heads = HEADS_WITH_POOL if arch in ("googlenet", "inception_v3") else HEADS
        out = []
        for name, module in model.named_children():
            if name in heads:
                break
            out.append((name, module))
        return out
    raise SystemExit(f"error: unknown architecture '{arch}': not a family in study.md's children rule")


def trunk(arch, model):
    """The loss network as an nn.Sequential (indices = study layers), in eval mode."""
    seq = torch.nn.Sequential(*[m for _, m in children_of(arch, model)])
    return seq.eval()


def features(children, x, layers):
    """Outputs of the children at `layers` (in that order), running only up to the deepest."""
    out, deepest = {}, max(layers)
    for i, child in enumerate(children):
        x = child(x)
        out[i] = x
        if i == deepest:
            break
    return [out[l] for l in layers]
