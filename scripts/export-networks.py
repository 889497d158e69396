#!/usr/bin/env python3
"""Export torchvision loss networks as TorchScript for dpl-torch.

Writes OUT/<arch>.pt (a scripted nn.Sequential of the network's children, see
loss_networks.py) and merges an entry into OUT/manifest.json: architecture,
number of children, weights id (or 'random' and the seed), torch and
torchvision versions, sha256 of the file.

  --weights imagenet   torchvision's IMAGENET1K_V1 weights, from the torch hub
                       cache (downloaded if the machine can; --weights-dir DIR
                       reads DIR/checkpoints/<file>.pth instead)
  --weights random     seeded random initialisation (--seed N)

Never falls back from imagenet to random: a missing weights file is an error
that says how to provide it.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torchvision  # noqa: E402

from loss_networks import build_model, children_of, trunk  # noqa: E402

EXIT_NO_WEIGHTS = 3


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def imagenet_weights(arch):
    enum = torchvision.models.get_model_weights(arch)
    if not hasattr(enum, "IMAGENET1K_V1"):
        raise SystemExit(f"error: torchvision has no IMAGENET1K_V1 weights for '{arch}'")
    return enum.IMAGENET1K_V1


def load_model(arch, weights, seed):
    if weights == "random":
        torch.manual_seed(seed)
        return build_model(arch), {"weights": "random", "seed": seed}
    w = imagenet_weights(arch)
    filename = os.path.basename(w.url)
    try:
        model = build_model(arch, weights=w)
    except Exception as e:  # network errors, missing file offline, bad hash
        where = os.path.join(torch.hub.get_dir(), "checkpoints", filename)
        sys.stderr.write(
            f"error: could not get ImageNet weights for {arch} ({w.url}): {e}\n"
            f"  remedy: download {filename} on a machine with internet and place it at {where},\n"
            f"  or pass --weights-dir DIR with the file at DIR/checkpoints/{filename};\n"
            f"  or export with --weights random (recorded as random in the manifest).\n"
        )
        sys.exit(EXIT_NO_WEIGHTS)
    top1 = w.meta.get("_metrics", {}).get("ImageNet-1K", {}).get("acc@1")
    return model, {"weights": f"IMAGENET1K_V1:{filename}", "imagenetTop1": top1}


def export(arch, weights, seed, out_dir):
    model, identity = load_model(arch, weights, seed)
    names = [n for n, _ in children_of(arch, model)]
    seq = trunk(arch, model)
    for p in seq.parameters():
        p.requires_grad_(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch >= 2.11 warns that TorchScript is deprecated
        scripted = torch.jit.script(seq)
    path = os.path.join(out_dir, f"{arch}.pt")
    tmp = path + ".tmp"
    scripted.save(tmp)
    os.replace(tmp, path)
    entry = {
        "architecture": arch,
        "file": f"{arch}.pt",
        "children": len(names),
        "childNames": names,
        **identity,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "sha256": sha256(path),
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return entry


def merge_manifest(out_dir, entries):
    path = os.path.join(out_dir, "manifest.json")
    manifest = {"version": 1, "networks": {}}
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
    for e in entries:
        manifest["networks"][e["architecture"]] = e
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".manifest-")
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, help="comma-separated torchvision architecture names")
    ap.add_argument("--weights", choices=["imagenet", "random"], default="imagenet")
    ap.add_argument("--seed", type=int, default=0, help="seed for --weights random")
    ap.add_argument("--out", required=True, help="output folder (models/torchscript)")
    ap.add_argument("--weights-dir", help="a torch hub folder holding checkpoints/<file>.pth")
    args = ap.parse_args()
    if args.weights_dir:
        torch.hub.set_dir(os.path.abspath(args.weights_dir))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for arch in [a.strip() for a in args.arch.split(",") if a.strip()]:
        t = time.time()
        entry = export(arch, args.weights, args.seed, args.out)
        merge_manifest(args.out, [entry])  # after each network, so an interruption keeps the finished ones
        print(json.dumps({"exported": arch, "children": entry["children"], "weights": entry["weights"],
                          "seconds": round(time.time() - t, 1)}), flush=True)


if __name__ == "__main__":
    main()
