"""Benchmark the resolver: warm load_sam vs bare torch.load vs micro-sam's get_sam_model, and the hash skip.

    .venv/bin/python scripts/bench_resolve.py [--encoder vit_b] [--repeats 5] [--big-gb 1]

1. A random-initialised checkpoint is registered in a temporary user catalog
   (file:// URL) and fetched into a temporary cache through the real code path.
2. In one run, interleaved, ``--repeats`` times each, first in this process, then each call
   in a fresh process (closer to a user's start-up; torch.load's time in a long-lived
   process depends on whether the allocator can reuse freed memory): ``samzoo.resolver.load_sam(name)``
   (warm: stamp check, mmap read, meta-device build), bare
   ``torch.load(path, weights_only=True)`` of the same cached file, and
   ``micro_sam.util.get_sam_model(model_type, checkpoint_path=path)`` when
   micro_sam is importable. Medians and ratios are printed.
3. A ``--big-gb`` file is cached the same way; the bytes a warm ``resolve`` reads
   (``/proc/self/io`` rchar) and its time are compared with one full xxh128 hash of
   the file (what a re-hashing cache such as pooch's does at every start).
micro-sam stays out of samzoo's environment; to compare, put it on PYTHONPATH, e.g.
``pip install --target /tmp/msam --no-deps micro-sam==1.8.14 python-elf==0.9.2 torch_em==0.10.9
bioimage-cpp threadpoolctl zarr donfig numcodecs google-crc32c`` then
``PYTHONPATH=/tmp/msam .venv/bin/python scripts/bench_resolve.py``.
Targets: load_sam <= 1.5x torch.load and <= 0.5x get_sam_model; a warm resolve
reads far less than the file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def rchar() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def child(mode: str, name: str, path: str, encoder: str) -> None:
    """One measurement in a fresh process: imports are not timed, the call is."""
    import torch

    if mode == "load_sam":
        import segment_anything  # noqa: F401  (imported, as micro_sam.util imports it, before timing)

        import samzoo.plumbing.sam_checkpoint
        import samzoo.plumbing.sam_models  # noqa: F401
        from samzoo.resolver import load_sam

        fn = lambda: load_sam(name)  # noqa: E731
    elif mode == "torch.load":
        fn = lambda: torch.load(path, map_location="cpu", weights_only=True)  # noqa: E731
    else:
        from micro_sam.util import get_sam_model

        fn = lambda: get_sam_model(model_type=encoder, checkpoint_path=path, device="cpu")  # noqa: E731
    print(f"{timed(fn):.6f}")


def fresh_process_runs(modes: list[str], name: str, path: Path, encoder: str, repeats: int) -> dict[str, list[float]]:
    import subprocess

    runs: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(repeats):
        for m in modes:
            out = subprocess.run([sys.executable, __file__, "--child", m, name, str(path), encoder],
                                 capture_output=True, text=True, env=dict(os.environ), check=True)
            runs[m].append(float(out.stdout.strip().splitlines()[-1]))
    return runs


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="vit_b", choices=["vit_t", "vit_b", "vit_l", "vit_h"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--big-gb", type=float, default=1.0, help="size of the file for the hash-skip measurement (0: skip)")
    args = ap.parse_args()

    import torch

    from samzoo.plumbing.hashing import file_hash
    from samzoo.plumbing.sam_models import save_random_checkpoint
    from samzoo.resolver import load_sam, resolve
    from samzoo.catalog.writer import add_model

    with tempfile.TemporaryDirectory(prefix="bench_resolve_") as tmp:
        tmp = Path(tmp)
        os.environ["SAMZOO_CACHE_DIR"] = str(tmp / "cache")
        os.environ["SAMZOO_CATALOG"] = str(tmp / "catalog")
        os.environ["MICROSAM_CACHEDIR"] = str(tmp / "microsam")
        os.environ.pop("SAMZOO_MIRRORS", None)
        name = f"{args.encoder}_bench"
        ckpt = tmp / f"{args.encoder}_random.pt"
        t = timed(lambda: save_random_checkpoint(ckpt, args.encoder, seed=0))
        size = ckpt.stat().st_size
        print(f"random {args.encoder} checkpoint: {size / 1e6:.0f} MB (written in {t:.1f} s)")
        add_model(name, encoder=args.encoder, weights=str(ckpt))
        t = timed(lambda: resolve(name))
        path = resolve(name).encoder_path
        print(f"cold resolve (file:// copy + xxh128 while copying): {t:.2f} s -> {path}")

        try:
            from micro_sam.util import get_sam_model
        except ImportError as e:
            get_sam_model = None
            print(f"micro_sam not importable ({e}); the get_sam_model column is skipped")

        def touch(tensors) -> None:  # read one value per 4 KiB page: pages every weight in, computes ~nothing
            with torch.no_grad():
                for v in tensors:
                    v.reshape(-1)[:: max(1, 4096 // v.element_size())].sum()

        def sam_touched() -> None:
            touch(list(load_sam(name).parameters()))

        def torch_touched() -> None:
            touch(list(torch.load(path, map_location="cpu", weights_only=True).values()))

        runs: dict[str, list[float]] = {"load_sam": [], "torch.load": [],
                                        "load_sam + page in": [], "torch.load + page in": []}
        if get_sam_model is not None:
            runs["micro_sam.get_sam_model"] = []
        load_sam(name)  # warm-up: imports, page cache
        torch.load(path, map_location="cpu", weights_only=True)
        for _ in range(args.repeats):
            runs["load_sam"].append(timed(lambda: load_sam(name)))
            runs["torch.load"].append(timed(lambda: torch.load(path, map_location="cpu", weights_only=True)))
            runs["load_sam + page in"].append(timed(sam_touched))
            runs["torch.load + page in"].append(timed(torch_touched))
            if get_sam_model is not None:
                runs["micro_sam.get_sam_model"].append(
                    timed(lambda: get_sam_model(model_type=args.encoder, checkpoint_path=path, device="cpu")))
        med = {k: statistics.median(v) for k, v in runs.items()}
        print(f"\nwarm loads of {args.encoder}, {args.repeats} repeats, median (min-max), torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads")
        for k, v in runs.items():
            print(f"  {k:26s} {med[k]:.3f} s ({min(v):.3f}-{max(v):.3f})")
        print("  ('+ page in': then one value of every 4 KiB page of every weight is read, so mmap'd weights are really loaded)")

        def ratio(a: str, b: str, target: float, sign: str = "<=") -> None:
            r = med[a] / med[b]
            print(f"  {a} / {b} = {r:.2f}x  (target {sign} {target}x: {'PASS' if r <= target else 'FAIL'})")

        ratio("load_sam", "torch.load", 1.5)
        ratio("load_sam + page in", "torch.load + page in", 1.5)
        if get_sam_model is not None:
            ratio("load_sam", "micro_sam.get_sam_model", 0.5)
            ratio("load_sam + page in", "micro_sam.get_sam_model", 0.5)
        else:
            print("  vs micro_sam.get_sam_model: n/a, micro_sam absent (reference figure: 1.0-1.2 s for vit_b)")

        modes = ["load_sam", "torch.load"] + (["micro_sam.get_sam_model"] if get_sam_model is not None else [])
        fresh = fresh_process_runs(modes, name, path, args.encoder, args.repeats)
        fmed = {k: statistics.median(v) for k, v in fresh.items()}
        print(f"\nthe same, each call in a fresh process (imports not timed; cache and page cache warm), {args.repeats} repeats")
        for k, v in fresh.items():
            print(f"  {k:26s} {fmed[k]:.3f} s ({min(v):.3f}-{max(v):.3f})")
        r = fmed["load_sam"] / fmed["torch.load"]
        print(f"  load_sam / torch.load = {r:.2f}x  (target <= 1.5x: {'PASS' if r <= 1.5 else 'FAIL'})")
        if "micro_sam.get_sam_model" in fmed:
            r = fmed["load_sam"] / fmed["micro_sam.get_sam_model"]
            print(f"  load_sam / micro_sam.get_sam_model = {r:.2f}x  (target <= 0.5x: {'PASS' if r <= 0.5 else 'FAIL'})")

        if args.big_gb > 0:
            big = tmp / "big.bin"
            n = int(args.big_gb * (1 << 30))
            with open(big, "wb") as f:
                block = os.urandom(1 << 24)
                for _ in range(n // len(block)):
                    f.write(block)
            add_model("vit_b_big", encoder="vit_b", weights=str(big))
            resolve("vit_b_big")  # cold: copied and hashed once
            resolve("vit_b_big")  # imports and catalog parsing warmed up
            before = rchar()
            t_warm = timed(lambda: resolve("vit_b_big"))
            read = rchar() - before
            cached = resolve("vit_b_big").encoder_path
            t_hash = timed(lambda: file_hash(cached, "xxh128"))
            print(f"\nwarm resolve of a {n / 1e9:.2f} GB cached file: read {read / 1e3:.0f} kB "
                  f"({100 * read / n:.4f}% of the file, mostly the catalog's YAML) in {t_warm * 1000:.0f} ms; "
                  f"one full xxh128 re-hash: {t_hash * 1000:.0f} ms ({t_hash / t_warm:.0f}x slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
