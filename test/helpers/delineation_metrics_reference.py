"""Delineation metrics written from the spec with numpy and scipy, as an
independent reference: distances by scipy.ndimage.distance_transform_edt.

Reads JSON on stdin: {"cases": [{"prob": file (float32), "truth": file (uint8),
"shape": [h, w], "threshold": t, "tolerance": rho}]}; prints a JSON list of
metrics per case.
"""
import json
import sys

import numpy as np
from scipy.ndimage import distance_transform_edt


def within(points, targets, rho):
    """How many `points` pixels have a `targets` pixel within Euclidean distance rho."""
    if not targets.any():
        return 0
    dist = distance_transform_edt(~targets)  # distance of every pixel to the nearest target pixel
    return int((points & (dist <= rho)).sum())


def ratio(num, den):
    return 1.0 if den == 0 else num / den


def metrics(case):
    h, w = case['shape']
    prob32 = np.fromfile(case['prob'], dtype=np.float32).reshape(h, w)
    prob = prob32.astype(np.float64)
    truth = np.fromfile(case['truth'], dtype=np.uint8).reshape(h, w) > 0.5
    pred = prob32 > np.float32(case['threshold'])  # in float32, as torch compares
    rho = case['tolerance']
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    mp = within(pred, truth, rho)
    mt = within(truth, pred, rho)
    n_pred, n_truth = int(pred.sum()), int(truth.sum())
    eps_log = lambda v: np.maximum(np.log(v, where=v > 0, out=np.full_like(v, -np.inf)), -100)
    bce = -np.mean(np.where(truth, eps_log(prob), eps_log(1 - prob)))
    return {
        'completeness': ratio(tp, tp + fn),
        'correctness': ratio(tp, tp + fp),
        'quality': ratio(tp, tp + fp + fn),
        'relaxedCompleteness': ratio(mt, n_truth),
        'relaxedCorrectness': ratio(mp, n_pred),
        'relaxedQuality': ratio(mp, n_pred + n_truth - mt),
        'bce': float(bce),
        'counts': {'truth': n_truth, 'predicted': n_pred, 'tp': tp, 'fp': fp, 'fn': fn,
                   'matchedPredicted': mp, 'matchedTruth': mt},
    }


if __name__ == '__main__':
    print(json.dumps([metrics(c) for c in json.load(sys.stdin)['cases']]))
