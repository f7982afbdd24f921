"""Benchmark ``samzoo diff`` on two vit_b packages (issue 24 targets), ratios measured in one run.

    PYTHONPATH=src .venv/bin/python scripts/bench_diff.py [--a A.zip] [--b B.zip] [--repeat 3]

A defaults to /tmp/vit_b_lm_bench.zip (built from ``save_random_checkpoint(..., "vit_b", seed=0)`` if absent);
B defaults to /tmp/vit_b_lm_bench_tuned.zip: the same checkpoint with four mask decoder tensors moved by
5 % (built once, ~1-2 min).

1. ``--static``: ``diff_packages(A, B, static)`` in this process (imports paid by an untimed warm-up)
   against sha256 of both zips (``file_digest``), best of ``--repeat``. Target <= 1.5x.
2. behaviour: ``diff_packages(A, B)`` against two vit_b encoder passes on the packages' test image
   (``build_sam`` + the packaged adaptor's preprocessing and fast attention, weights read from the zips) plus one ``validate_package(A, quick)``.
   Target <= 1.2x. Each once (minutes on CPU).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
import zipfile
from pathlib import Path

TUNED_KEYS = 4


def build(a_zip: Path, b_zip: Path) -> None:
    import torch

    import samzoo
    from samzoo.plumbing.sam_models import save_random_checkpoint

    ckpt = a_zip.with_suffix(".pt")
    save_random_checkpoint(ckpt, "vit_b", seed=0)
    if not a_zip.exists():
        samzoo.build_package("vit_b_lm", ckpt, output=a_zip)
    state = torch.load(ckpt, weights_only=True)
    g = torch.Generator().manual_seed(1)
    keys = [k for k, v in state.items() if k.startswith("mask_decoder.") and v.ndim == 2][:TUNED_KEYS]
    for k in keys:
        state[k] = state[k] + 0.05 * state[k].std() * torch.randn(state[k].shape, generator=g)
    tuned = b_zip.with_suffix(".pt")
    torch.save(state, tuned)
    samzoo.build_package("vit_b_lm", tuned, output=b_zip)


def timed(fn, repeat: int = 1, cpu: list | None = None) -> float:
    """Best wall time of ``repeat`` calls; the CPU time (all threads) of that call is appended to ``cpu``."""
    best, best_cpu = float("inf"), 0.0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = time.perf_counter() - t
        if wall < best:
            best, best_cpu = wall, time.process_time() - c
    if cpu is not None:
        cpu.append(best_cpu)
    return best


def encoder_passes(zips: list[Path]) -> None:
    """One vit_b encoder pass per package on its test image, as the package's model runs it (its fast attention)."""
    import numpy as np
    import torch

    from samzoo.architectures.sam_adaptor import preprocess, use_fast_attention
    from samzoo.plumbing.sam_models import build_sam

    for z in zips:
        with zipfile.ZipFile(z) as zf:
            state = torch.load(io.BytesIO(zf.read("vit_b.pt")), weights_only=True)
            image = np.load(io.BytesIO(zf.read("test_input_image.npy")))
        sam = use_fast_attention(build_sam("vit_b", state))
        with torch.no_grad():
            sam.image_encoder(preprocess(torch.from_numpy(image), sam.pixel_mean, sam.pixel_std))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", type=Path, default=Path("/tmp/vit_b_lm_bench.zip"))
    p.add_argument("--b", type=Path, default=Path("/tmp/vit_b_lm_bench_tuned.zip"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-behaviour", action="store_true")
    args = p.parse_args()
    if not (args.a.exists() and args.b.exists()):
        build(args.a, args.b)
    from samzoo.compare import CompareOptions, diff_packages
    from samzoo.plumbing.hashing import file_digest
    from samzoo.validate import ValidationOptions, validate_package

    static = CompareOptions(static=True)
    diff_packages(args.a, args.b, static)  # warm-up: imports
    cpu: list[float] = []
    t_sha = timed(lambda: [file_digest(z) for z in (args.a, args.b)], args.repeat, cpu)
    t_static = timed(lambda: diff_packages(args.a, args.b, static), args.repeat, cpu)
    out = {"cpus": os.cpu_count(), "load_avg": os.getloadavg()[0], "sha256_both_s": round(t_sha, 3),
           "diff_static_s": round(t_static, 3), "static_ratio": round(t_static / t_sha, 2), "static_target": 1.5,
           "sha256_cpu_s": round(cpu[0], 3), "diff_static_cpu_s": round(cpu[1], 3)}
    if not args.skip_behaviour:
        t_enc = timed(lambda: encoder_passes([args.a, args.b]))
        t_quick = timed(lambda: validate_package(args.a, ValidationOptions(quick=True)))
        holder = {}
        t_diff = timed(lambda: holder.setdefault("d", diff_packages(args.a, args.b)))
        d = holder["d"]
        out.update(two_encoder_passes_s=round(t_enc, 2), validate_quick_s=round(t_quick, 2), diff_behaviour_s=round(t_diff, 2),
                   behaviour_ratio=round(t_diff / (t_enc + t_quick), 2), behaviour_target=1.2,
                   behaviour_differs=d.differs_in_behaviour, load_avg_end=os.getloadavg()[0])
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
