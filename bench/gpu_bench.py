#!/usr/bin/env python3
"""PyTorch baselines for the GPU benchmark (scripts/gpu_check.py), on the same card, same run.

int_mm(M, N, K): cuBLASLt int8 GEMM through torch._int_mm, median milliseconds of 20 runs
(CUDA events). resnet50_baselines(): torchvision ResNet-50 (random weights) in fp16,
channels-last, eager and torch.compile, at batch 256 and 1, images/s and latency.
"""

from __future__ import annotations

import time


def _time_ms(fn, runs: int = 20, warmup: int = 5) -> float:
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def int_mm(m: int, n: int, k: int) -> float:
    import torch
    a = torch.randint(-128, 127, (m, k), dtype=torch.int8, device="cuda")
    b = torch.randint(-128, 127, (n, k), dtype=torch.int8, device="cuda").t()  # column-major
    ms = _time_ms(lambda: torch._int_mm(a, b))
    del a, b
    torch.cuda.empty_cache()
    return ms


def resnet50_baselines(compile_too: bool = True, log=print) -> dict:
    import torch
    import torchvision
    out = {}
    model = torchvision.models.resnet50().cuda().half().eval().to(memory_format=torch.channels_last)
    variants = [("eager fp16", model, None)]
    if compile_too:
        variants.append(("torch.compile fp16", torch.compile(model), None))
        variants.append(("torch.compile fp16 (CUDA graphs)", torch.compile(model, mode="reduce-overhead"), 1))
    with torch.inference_mode():
        for name, fn, only_batch in variants:
            for batch in (256, 1):
                if only_batch and batch != only_batch:
                    continue
                x = torch.randn(batch, 3, 224, 224, device="cuda").half().to(memory_format=torch.channels_last)
                t0 = time.monotonic()
                fn(x)
                torch.cuda.synchronize()
                first = time.monotonic() - t0
                ms = _time_ms(lambda: fn(x), runs=20 if batch > 1 else 100, warmup=3)
                out[f"{name} batch {batch}"] = {"ms": ms, "images_per_s": batch * 1000 / ms,
                                                "first_call_s": first}
                log(f"  ResNet-50 {name:32s} batch {batch:3d}: {batch * 1000 / ms:9.0f} images/s"
                    f"  {ms:.3f} ms  (first call {first:.1f} s)")
    return out
