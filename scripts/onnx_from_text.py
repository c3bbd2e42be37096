#!/usr/bin/env python3
"""Converts ONNX textual syntax (onnx.parser) into a binary model.

Importer tests are written as readable .onnxtext and converted at test time,
so no opaque binary fixture is checked in.

usage: onnx_from_text.py INPUT.onnxtext -o OUTPUT.onnx [--no-check]
Lines starting with '//' or '#' (lit RUN/CHECK lines) are ignored.
"""
import argparse
import sys

import onnx
import onnx.parser


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--no-check", action="store_true",
                    help="skip onnx.checker (to build deliberately invalid models)")
    args = ap.parse_args()
    with open(args.input, encoding="utf-8") as f:
        text = "".join(line for line in f
                       if not line.lstrip().startswith(("//", "#")))
    model = onnx.parser.parse_model(text)
    if model.ir_version == 0 or model.ir_version > 8:
        # Debian's libonnx (1.12) reads IR versions up to 8.
        model.ir_version = 8
    if not args.no_check:
        onnx.checker.check_model(model)
    onnx.save(model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
