"""Benchmark `samzoo publish` against a real zoo server on 127.0.0.1 (hypha + moto S3, as the tests run it).

    .venv/bin/python scripts/bench_publish.py [--gb 1] [--vit-b-package PKG.zip]

1. **Upload**: a package holding a ``--gb`` GB weights file (random bytes) is published as a new model
   by ``samzoo publish`` in a child process (``--skip-validation``: the weights are not a model),
   and the same file is PUT by ``curl -T`` to a presigned URL of the same S3 (the reference, measured
   in the same run, interleaved). Wall time of each and the peak RSS of the samzoo process
   (``ru_maxrss`` of the child). samzoo's time includes reading every file back and comparing its sha256.
2. **Resume**: a package of 8 files of 32 MB goes through a proxy that drops the connection in the
   middle of the 5th file (~56% of the bytes). The second run's PUTs are counted per file: files
   verified before the drop must not be sent again.
3. **Dry run**: ``samzoo publish PKG --dry-run`` on a vit_b package (built from a random vit_b
   checkpoint unless ``--vit-b-package`` is given), wall time of the command.

Targets (issue 23): upload <= 1.3x the curl PUT, peak RSS <= 300 MB; a resumed upload re-sends at
most the interrupted file; --dry-run under 3 s for a vit_b package.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers.hypha_zoo import HyphaZoo  # noqa: E402
from helpers.s3_proxy import Fault  # noqa: E402

RDF = "type: model\nformat_version: 0.5.4\nname: {name}\ndescription: benchmark package\n"


def make_package(path: Path, name: str, files: dict[str, int]) -> Path:
    """A zip (stored) with an rdf.yaml and files of random bytes of the given sizes (written in 64 MiB pieces)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("rdf.yaml", RDF.format(name=name))
        for fname, size in files.items():
            with zf.open(zipfile.ZipInfo(fname), "w", force_zip64=True) as f:
                left = size
                while left:
                    n = min(left, 64 << 20)
                    f.write(os.urandom(n))
                    left -= n
    return path


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return wall, usage.ru_maxrss / 1024, done


def publish_cmd(pkg: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "samzoo", "publish", str(pkg), "--skip-validation", "benchmark", "--no-spec-check", "-q", *extra]


def curl_put(zoo: HyphaZoo, weights: Path, token: str) -> float:
    art = zoo.call("create", token=token, parent_id="bioimage-io/bioimage.io", alias="{animal_adjective}-{animal}", type="model",
                   manifest={"name": "curl reference"}, stage=True)
    url = zoo.call("put_file", token=token, artifact_id=art["id"], file_path="weights.bin")
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-T", str(weights), "-H", "Content-Type:", url, "-o", "/dev/null"], check=True)
    return time.perf_counter() - start


def bench_upload(work: Path, gb: float, repeats: int) -> None:
    size = int(gb * 1e9)
    weights = work / "weights.bin"
    with weights.open("wb") as f:
        left = size
        while left:
            n = min(left, 64 << 20)
            f.write(os.urandom(n))
            left -= n
    with HyphaZoo.start(work / "zoo-plain", proxy=False) as zoo:
        env = {**os.environ, "SAMZOO_ZOO_SERVER": zoo.url, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": zoo.tokens["alice"],
               "SAMZOO_CACHE_DIR": str(work / "cache")}
        samzoo_s, curl_s, rss = [], [], []
        for i in range(repeats):
            pkg = work / f"big{i}.zip"
            with zipfile.ZipFile(pkg, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                zf.writestr("rdf.yaml", RDF.format(name=f"big {i}"))
                zf.write(weights, "weights.bin")
            curl_s.append(curl_put(zoo, weights, zoo.tokens["alice"]))
            wall, peak, proc = run_child(publish_cmd(pkg), env)
            assert proc.returncode == 0, proc.stderr
            samzoo_s.append(wall)
            rss.append(peak)
            pkg.unlink()
        c, s = statistics.median(curl_s), statistics.median(samzoo_s)
        print(f"upload of a {gb:g} GB weights file (median of {repeats}):")
        print(f"  curl -T (one PUT, presigned URL)   {c:7.2f} s   {size / c / 1e6:6.0f} MB/s")
        print(f"  samzoo publish (PUT + read back)  {s:7.2f} s   ratio {s / c:.2f}x   (target <= 1.3x)")
        print(f"  samzoo peak RSS                    {max(rss):7.0f} MB   (target <= 300 MB)")


def bench_resume(work: Path) -> None:
    files = {f"part{i}.bin": 32 << 20 for i in range(8)}
    pkg = make_package(work / "parts.zip", "resume", files)
    with HyphaZoo.start(work / "zoo-proxy") as zoo:
        env = {**os.environ, "SAMZOO_ZOO_SERVER": zoo.url, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": zoo.tokens["alice"],
               "SAMZOO_CACHE_DIR": str(work / "cache")}
        zoo.proxy.faults.append(Fault("part4.bin", drop_after=16 << 20))
        _, _, first = run_child(publish_cmd(pkg), env)
        after_first = dict(zoo.proxy.puts)
        _, _, second = run_child(publish_cmd(pkg, "--json"), env)
        assert second.returncode == 0, second.stderr
        resent = {n: zoo.proxy.puts[n] - after_first.get(n, 0) for n in files if zoo.proxy.puts[n] > after_first.get(n, 0)}
        verified_before = sorted(n for n in files if after_first.get(n) and n != "part4.bin")
        sent = [f["path"] for f in json.loads(second.stdout)["result"]["files"] if f["sent"]]
        print(f"resume after a drop at ~56% (exit {first.returncode}: {first.stderr.strip()[:110]}...):")
        print(f"  files verified before the drop: {', '.join(verified_before)}")
        print(f"  second run sent: {', '.join(sent)}; of the files verified before the drop, re-sent: "
              f"{sorted(set(resent) & set(verified_before)) or 'none'}")


def bench_dry_run(work: Path, vit_b_package: Path | None, repeats: int) -> None:
    from helpers.package_zip import with_rdf

    if vit_b_package is None:
        from samzoo import build_package
        from samzoo.plumbing.sam_models import save_random_checkpoint

        save_random_checkpoint(work / "vit_b.pt", "vit_b", seed=0)
        vit_b_package = build_package("vit_b_lm", work / "vit_b.pt", output=work / "vit_b_lm.zip").path
    with HyphaZoo.start(work / "zoo-dry", proxy=False) as zoo:
        env = {**os.environ, "SAMZOO_ZOO_SERVER": zoo.url, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": zoo.tokens["alice"],
               "SAMZOO_CACHE_DIR": str(work / "cache")}
        art = zoo.call("create", parent_id="bioimage-io/bioimage.io", alias="diplomatic-bug", type="model",
                       manifest={"name": "vit_b_lm"}, config={"permissions": {"alice": "*"}}, stage=True)
        zoo.call("commit", artifact_id=art["id"])  # the published model the package's id names
        variants = {"new version of diplomatic-bug": vit_b_package,
                    "new model (no id)": with_rdf(vit_b_package, work / "vit_b_new.zip", id=None, id_emoji=None)}
        size = vit_b_package.stat().st_size / 1e6
        print(f"--dry-run of a vit_b package ({size:.0f} MB), `samzoo publish PKG --dry-run` wall time, median of {repeats}:")
        for label, pkg in variants.items():
            times = []
            for _ in range(repeats):
                wall, _, proc = run_child([sys.executable, "-m", "samzoo", "publish", str(pkg), "--dry-run"], env)
                assert proc.returncode == 0, proc.stderr
                times.append(wall)
            target = next(line for line in proc.stdout.splitlines() if line.startswith("target:"))
            print(f"  {label:30} {statistics.median(times):5.2f} s   ({target}; target < 3 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vit-b-package", type=Path, default=None)
    ap.add_argument("--only", choices=["upload", "resume", "dry-run"], default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_publish_"))
    try:
        if args.only in (None, "upload"):
            bench_upload(work, args.gb, args.repeats)
        if args.only in (None, "resume"):
            bench_resume(work)
        if args.only in (None, "dry-run"):
            bench_dry_run(work, args.vit_b_package, args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
