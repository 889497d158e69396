#!/usr/bin/env python3
"""Reference training steps from Python torch, for test/training-numerics.test.ts
(and native checkpoint reading for test/step-guard.test.ts).

The models and steps are bench/reference_step.py's (SrNet and SrStep, SimStep),
written from the specs, so that one Python copy of each serves the bench and
the tests. Here they are given the native model's initial state, read from its
checkpoint (a torch::serialize archive, which torch.jit.load reads), run on the
same batches, and compared with the native checkpoints written after each step.

One JSON request on stdin, one JSON answer on stdout:

  {"op": "sr", "factor", "arch", "pt", "layer", "init", "stepped", "lr", "lrShape", "hr", "hrShape", "out"}
      init/stepped: the native trainer's save() before and after one step on (lr, hr).
      Writes out/eval_before.f32 and out/eval_after.f32 (eval-mode outputs on lr);
      answers {"loss", "params", "buffers": largest |python - native| after the step,
               "paramsOver", "paramsTotal": parameter elements off by more than 1e-6, of how many,
               "moved": largest parameter change of the step}

  {"op": "similarity", "variant", "arch", "pt", "layers", "normalization", "shape",
   "init", "steps": [checkpoint after step i], "batches": [{"ref","p0","p1","judge"}], "lr",
   "evalA", "evalB", "evalShape", "out"}
      Dropout masks are drawn as the native CPU step draws them, from the native
      generator state saved in `init`, so both sides drop the same elements.
      Writes out/eval.f32 (eval-mode distances after the steps); answers
      {"steps": [{"loss", "weights", "judge", "trunk", "buffers" (largest |python - native|),
                  "minWeight"}], "moved": largest parameter change over the steps}

  {"op": "nan-export", "pt", "out"}: a copy of the TorchScript export `pt` whose first
      parameter holds a NaN (a trunk whose features are NaN, for the divergence guard)
  {"op": "changed", "pairs": [[a, b], ...]}: per pair of native checkpoints, the keys
      whose tensors differ (NaN equal to NaN) or that only one of them has
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from reference_step import SimStep, SrStep, load_f32  # noqa: E402  (one Python copy of each model)

CPU = torch.device("cpu")


def archive(path):
    """A native checkpoint's tensors by name."""
    return torch.jit.load(path, map_location="cpu").state_dict()


def max_diff(pairs):
    return max((float((a.detach().double() - b.detach().double()).abs().max()) for a, b in pairs), default=0.0)


def count_over(pairs, tol):
    """How many elements differ by more than tol (test/helpers/adam-step.ts)."""
    return sum(int(((a.detach().double() - b.detach().double()).abs() > tol).sum()) for a, b in pairs)


def native_sr_state(path):
    """The native SR network's parameters and buffers, in module order."""
    model = torch.jit.load(path, map_location="cpu").model
    return [p for _, p in model.named_parameters()], [b for _, b in model.named_buffers()]


def sr(req):
    step = SrStep({"arch": req["arch"], "pt": req["pt"], "layers": [req["layer"]], "factor": req["factor"],
                   "input": req["lr"], "lrShape": req["lrShape"], "target": req["hr"], "shape": req["hrShape"]}, CPU, None)
    net = step.net
    params, buffers = native_sr_state(req["init"])
    ours_p, ours_b = list(net.parameters()), list(net.buffers())
    if [tuple(p.shape) for p in params] != [tuple(p.shape) for p in ours_p] or len(buffers) != len(ours_b):
        raise SystemExit("the native SR network's parameters do not line up with SrNet's")
    with torch.no_grad():
        for mine, theirs in zip(ours_p + ours_b, params + buffers):
            mine.copy_(theirs)
    start = [p.detach().clone() for p in ours_p]
    with torch.no_grad():
        net.eval()(step.lr).numpy().astype("<f4").tofile(os.path.join(req["out"], "eval_before.f32"))
    net.train()
    loss, _ = step.step()
    with torch.no_grad():
        net.eval()(step.lr).numpy().astype("<f4").tofile(os.path.join(req["out"], "eval_after.f32"))
    params, buffers = native_sr_state(req["stepped"])
    return {
        "loss": float(loss),
        "params": max_diff(zip(ours_p, params)),
        "paramsOver": count_over(zip(ours_p, params), 1e-6),
        "paramsTotal": sum(p.numel() for p in ours_p),
        "buffers": max_diff(zip(ours_b, buffers)),
        "moved": max_diff(zip(ours_p, start)),
    }


def similarity(req):
    step = SimStep({"arch": req["arch"], "pt": req["pt"], "layers": req["layers"], "normalization": req["normalization"],
                    "variant": req["variant"], "shape": req["shape"], "mask": "uniform"}, CPU, None)
    n_weights, n_judge = len(step.lins), len(list(step.g.parameters()))
    groups = {"weights": range(0, n_weights), "judge": range(n_weights, n_weights + n_judge),
              "trunk": range(n_weights + n_judge, len(step.params))}
    buffers = list(step.trunk.named_buffers()) if step.trainable else []

    init = archive(req["init"])
    if f"param.{len(step.params)}" in init or f"param.{len(step.params) - 1}" not in init:
        raise SystemExit(f"the native model has another number of parameters than SimStep's {len(step.params)}")
    with torch.no_grad():
        for i, p in enumerate(step.params):
            p.copy_(init[f"param.{i}"].view_as(p))
        for name, b in buffers:
            b.copy_(init[f"buffer.{name}"])
    start = [p.detach().clone() for p in step.params]
    torch.set_rng_state(init["rng"])  # the native model's dropout stream

    steps = []
    for batch, path in zip(req["batches"], req["steps"]):
        shape = req["shape"]
        b = [load_f32(batch[k], shape, CPU) for k in ("ref", "p0", "p1")] + [load_f32(batch["judge"], [shape[0]], CPU)]
        loss, _ = step.step(b, req["lr"])
        native = archive(path)
        row = {"loss": float(loss), "minWeight": min(float(step.params[i].min()) for i in groups["weights"])}
        for group, idx in groups.items():
            row[group] = max_diff((step.params[i], native[f"param.{i}"].view_as(step.params[i])) for i in idx)
        row["buffers"] = max_diff((b, native[f"buffer.{name}"]) for name, b in buffers)
        steps.append(row)

    a = load_f32(req["evalA"], req["evalShape"], CPU)
    b = load_f32(req["evalB"], req["evalShape"], CPU)
    step.eval_distance(a, b).numpy().astype("<f4").tofile(os.path.join(req["out"], "eval.f32"))
    return {"steps": steps, "moved": max_diff(zip(step.params, start))}


def nan_export(req):
    m = torch.jit.load(req["pt"], map_location="cpu")
    with torch.no_grad():
        next(m.parameters()).view(-1)[0] = float("nan")
    torch.jit.save(m, req["out"])
    return {}


def changed(req):
    out = []
    for a, b in req["pairs"]:
        sa, sb = archive(a), archive(b)
        keys = sorted(set(sa) | set(sb))
        out.append([k for k in keys if k not in sa or k not in sb or sa[k].shape != sb[k].shape
                    or not torch.equal(torch.nan_to_num(sa[k].double(), nan=1234.5), torch.nan_to_num(sb[k].double(), nan=1234.5))
                    or not torch.equal(sa[k].isnan(), sb[k].isnan())])
    return {"changed": out}


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(1)
    answer = {"sr": sr, "similarity": similarity, "nan-export": nan_export, "changed": changed}[req["op"]](req)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
