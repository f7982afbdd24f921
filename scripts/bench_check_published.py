"""Benchmark ``samzoo check-published`` over the whole catalog against a local server.

    PYTHONPATH=src .venv/bin/python scripts/bench_check_published.py [--shallow-kb 64] [--deep-mb 16] [--repeats 3]

A temporary copy of the catalog (``model_specs/*.yaml``) has every weight URL pointed at a local
server (``python -m http.server`` in its own process, so it does not share this process's GIL), with
the same number of files as the catalog records, each a random file with its hash (the catalog's
algorithm) and size rewritten. In one run, medians of ``--repeats``:

1. ``check_published(deep=False)`` with ``--shallow-kb`` files (target: under 3 s);
2. ``check_published(deep=True)`` with ``--deep-mb`` files, against two baselines measured in the same run
   on the same files: hashing every file once from disk (``file_hash``), and fetching every file once
   from the same server and hashing it (one streamed GET per file, one after the other). Target: deep
   within 1.2x of hashing every file once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rewritten_catalog(work: Path, base_url: str, size: int):
    """A catalog like samzoo's whose weight files are random ``size``-byte files under ``work/files``."""
    from samzoo.catalog import Catalog
    from samzoo.catalog.loading import load_spec_file
    from samzoo.plumbing.hashing import file_hash

    files, specs = work / "files", work / "specs"
    files.mkdir(parents=True)
    specs.mkdir()
    n = 0
    for src in sorted((REPO / "model_specs").glob("*.yaml")):
        if src.name.startswith("_"):
            continue
        raw = yaml.safe_load(src.read_text())
        for version in raw.get("versions", []):
            for entry in (version.get("weights") or {}).values():
                name = f"f{n:03d}.pt"
                n += 1
                (files / name).write_bytes(os.urandom(size))
                alg = entry["hash"].split(":", 1)[0]
                entry.update(url=f"{base_url}/{name}", hash=file_hash(files / name, alg), size=size)
        (specs / src.name).write_text(yaml.safe_dump(raw, sort_keys=False))
    return Catalog([load_spec_file(p) for p in sorted(specs.glob("*.yaml"))]), files, n


def serve(folder: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port), "--directory", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import requests

    for _ in range(100):
        try:
            requests.head(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("the local server did not start")


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def fetch_and_hash_each(cat) -> None:
    """The floor of a client that fetches every file once and hashes it (sequential streamed GETs)."""
    import requests

    from samzoo.plumbing.hashing import hasher

    with requests.Session() as s:
        for spec in cat.all():
            for v in spec.versions:
                for wf in filter(None, (v.weights.encoder, v.weights.decoder) if v.weights else ()):
                    h = hasher(wf.hash.split(":", 1)[0])
                    with s.get(wf.url, stream=True, timeout=30) as r:
                        for chunk in r.iter_content(1 << 20):
                            h.update(chunk)
                    assert f"{wf.hash.split(':', 1)[0]}:{h.hexdigest()}" == wf.hash


def run(size: int, deep: bool, repeats: int) -> dict:
    from samzoo.plumbing.hashing import file_hash
    from samzoo.resolver.published_check import check_published

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cat, files, n = rewritten_catalog(Path(tmp), f"http://127.0.0.1:{port}", size)
        server = serve(files, port)
        try:
            t_check, report = median_time(lambda: check_published(catalog=cat, deep=deep, micro_sam=False, offline=False), repeats)
            assert report.counts() == {"ok": n}, report.counts()
            out = {"files": n, "bytes": n * size, "check_s": t_check}
            if deep:
                algs = {}
                for spec in cat.all():
                    for v in spec.versions:
                        for wf in filter(None, (v.weights.encoder, v.weights.decoder) if v.weights else ()):
                            algs[Path(wf.url).name] = wf.hash.split(":", 1)[0]
                out["hash_local_s"], _ = median_time(lambda: [file_hash(files / f, a) for f, a in algs.items()], repeats)
                out["fetch_hash_s"], _ = median_time(lambda: fetch_and_hash_each(cat), repeats)
            return out
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shallow-kb", type=int, default=64)
    ap.add_argument("--deep-mb", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    shallow = run(args.shallow_kb * 1024, False, args.repeats)
    print(f"check-published (no --deep): {shallow['files']} files, {shallow['check_s']:.3f} s (target < 3 s)")
    deep = run(args.deep_mb << 20, True, args.repeats)
    mb = deep["bytes"] / 1e6
    print(f"check-published --deep: {deep['files']} files, {mb:.0f} MB, {deep['check_s']:.3f} s")
    print(f"  hashing every file once from disk:          {deep['hash_local_s']:.3f} s -> ratio {deep['check_s'] / deep['hash_local_s']:.2f}")
    print(f"  fetching + hashing every file once (HTTP):  {deep['fetch_hash_s']:.3f} s -> ratio {deep['check_s'] / deep['fetch_hash_s']:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
