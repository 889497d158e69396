# Reference numerics for test/image-ops.test.ts: scikit-image PSNR/SSIM on the
# BT.601 luma, PIL's antialiased resize and scipy's Gaussian blur.
# stdin: JSON {op, ...}; 8-bit images are raw HWC files; stdout: JSON.
import json
import sys

import numpy as np


def read_u8(path, shape):
    return np.fromfile(path, dtype=np.uint8).reshape(shape)


def luma(rgb):
    x = rgb.astype(np.float64) / 255.0
    return 16.0 + 65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]


def main():
    req = json.load(sys.stdin)
    op = req["op"]
    if op == "metrics":
        from skimage.metrics import peak_signal_noise_ratio, structural_similarity
        out = []
        for pair in req["pairs"]:
            a = luma(read_u8(pair["a"], pair["shape"]))
            b = luma(read_u8(pair["b"], pair["shape"]))
            s = pair["shave"]
            if s:
                a, b = a[s:-s, s:-s], b[s:-s, s:-s]
            out.append({
                "psnr": float(peak_signal_noise_ratio(a, b, data_range=255)),
                "ssim": float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                                    use_sample_covariance=False, data_range=255)),
            })
        print(json.dumps(out))
    elif op == "resize":
        from PIL import Image
        img = Image.fromarray(read_u8(req["input"], req["shape"]))
        mode = Image.BICUBIC if req["mode"] == "bicubic" else Image.BILINEAR
        h, w = req["size"]
        np.asarray(img.resize((w, h), mode)).astype(np.uint8).tofile(req["out"])
        print("{}")
    elif op == "blur":
        from scipy.ndimage import gaussian_filter
        x = read_u8(req["input"], req["shape"]).astype(np.float64) / 255.0
        y = gaussian_filter(x, sigma=(1, 1, 0), mode="mirror", truncate=4.0)
        y.astype(np.float32).tofile(req["out"])
        print("{}")
    else:
        raise SystemExit("unknown op " + op)


main()
