"""PIL as the study's image loader: writes test images in real formats and
decodes files as the study does (Image.open(f).convert('RGB')).

Reads one JSON request on stdin:
  {"op": "write", "files": [{"path", "raw", "shape", "mode", "format", "options", "exif_orientation"?}]}
      raw: a file of uint8 (or uint16 for mode I;16) samples, HWC; PIL saves it with `options`.
  {"op": "decode", "files": [{"path", "out"}]}
      writes the RGB uint8 HWC samples of each file to `out`; prints the shapes.
"""
import json
import sys

import numpy as np
from PIL import Image


def write(spec):
    shape = spec['shape']
    dtype = np.uint16 if spec['mode'] == 'I;16' else np.uint8
    arr = np.fromfile(spec['raw'], dtype=dtype).reshape(shape)
    if spec['mode'] in ('L', 'I;16', '1'):
        arr = arr.reshape(shape[:2])
    mode = spec['mode']
    if mode == '1':
        img = Image.fromarray(arr > 0)
    elif mode == 'I;16':
        img = Image.fromarray(arr)
    elif mode in ('P', 'CMYK'):
        # Made from RGB samples: a 16-colour palette, or PIL's RGB->CMYK.
        img = Image.fromarray(arr, 'RGB').convert(mode, **({'palette': Image.ADAPTIVE, 'colors': 16} if mode == 'P' else {}))
    else:
        img = Image.fromarray(arr, mode)
    options = dict(spec.get('options', {}))
    if 'exif_orientation' in spec:
        exif = Image.Exif()
        exif[0x0112] = spec['exif_orientation']
        options['exif'] = exif.tobytes()
    img.save(spec['path'], spec['format'], **options)


def decode(spec):
    img = Image.open(spec['path'])
    arr = np.asarray(img.convert('RGB'))
    arr.tofile(spec['out'])
    return list(arr.shape)


def main():
    req = json.load(sys.stdin)
    if req['op'] == 'write':
        for f in req['files']:
            write(f)
        print(json.dumps({}))
    elif req['op'] == 'decode':
        print(json.dumps([decode(f) for f in req['files']]))
    else:
        raise SystemExit(f"unknown op {req['op']}")


if __name__ == '__main__':
    main()
