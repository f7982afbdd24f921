"""Benchmark `samzoo build` against micro-sam's `export_sam_model` on the same vit_b checkpoint.

Usage:
    python scripts/bench_build.py [--encoder vit_b] [--workdir bench_output] [--reference-python PY] [--no-test]
    python scripts/bench_build.py --formats [--encoder vit_t] [--repeat 2]
    python scripts/bench_build.py --against REF [--encoder vit_t] [--repeat 3] [--mode automatic]

``--formats``: the same checkpoint built with ``--weight-format pytorch_state_dict`` and with
``pytorch_state_dict,torchscript,onnx``, alternately, ``--repeat`` times each, in this run; prints
the best wall time of each and their ratio (issue 15's target: <= 1.5).

``--against REF``: this checkout's build against the build of samzoo at git revision REF (its ``src``
and ``model_specs``, run with this interpreter and its packages), alternately, ``--repeat`` times each,
in this run (each goes first every other round); prints the best wall time of each, their ratio (target for a change that costs build time:
<= 1.15) and whether the two packages have the same sha256.

Builds one random-initialised checkpoint (seed 0) into a package with samzoo
and, when `micro_sam` can be imported (by this interpreter or the one given
with --reference-python, e.g. a separate venv holding micro-sam 1.8.14), with
micro-sam's exporter in the same run, on the same 512 x 512 image and labels.
Each build runs in its own subprocess; peak memory is that process's maximum
resident set size (os.wait4). Prints wall times, peak memory, package sizes,
the ratios and the targets, and runs `bioimageio test` on samzoo's package
(unless --no-test).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

TARGET_TIME_RATIO = 0.45
TARGET_PEAK_GB = 2.5
TARGET_SIZE_RATIO = 1.2
TARGET_FORMATS_RATIO = 1.5
TARGET_AGAINST_RATIO = 1.15
ALL_FORMATS = "pytorch_state_dict,torchscript,onnx"
#: micro-sam 1.8.14's export_sam_model, vit_b, on CI's kind of machine (the team's reference measurement,
#: docs/benchmarks.md, "Building packages"); used only when micro_sam is absent
RECORDED_REFERENCE_S = 69.9


def run_measured(cmd: list[str], cwd: Path, log: Path) -> tuple[int, float, float]:
    """(exit code, wall seconds, peak RSS in GB) of one subprocess."""
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss * 1024 / 1e9


def prepare_inputs(workdir: Path, encoder: str) -> tuple[Path, Path, Path]:
    """Random checkpoint, and a 512 x 512 image with labels whose two largest objects are ids 1 and 2."""
    import imageio.v3 as iio
    import numpy as np

    from samzoo.builder.sample_inputs import domain_image, largest_objects, threshold_labels
    from samzoo.plumbing.sam_models import save_random_checkpoint

    ckpt = workdir / f"{encoder}_random_seed0.pt"
    if not ckpt.exists():
        save_random_checkpoint(ckpt, encoder, seed=0)
    image, _ = domain_image("histopathology")
    labels = threshold_labels(image)
    first, second = largest_objects(labels, 2)
    relabelled = np.zeros_like(labels)
    relabelled[labels == first] = 1
    relabelled[labels == second] = 2
    iio.imwrite(workdir / "image.png", image)
    iio.imwrite(workdir / "labels.png", relabelled.astype(np.uint8))
    return ckpt, workdir / "image.png", workdir / "labels.png"


REFERENCE_SCRIPT = textwrap.dedent("""
    import sys, imageio.v3 as iio
    from micro_sam.bioimageio.model_export import export_sam_model
    ckpt, image, labels, out, model_type = sys.argv[1:6]
    export_sam_model(iio.imread(image), iio.imread(labels), model_type=model_type, name="reference export",
                     output_path=out, checkpoint_path=ckpt)
""")


def has_micro_sam(python: str) -> bool:
    return subprocess.run([python, "-c", "import micro_sam.bioimageio.model_export"], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="vit_b", choices=["vit_t", "vit_b", "vit_l", "vit_h"])
    parser.add_argument("--workdir", default="bench_output")
    parser.add_argument("--reference-python", default=sys.executable, help="interpreter that can import micro_sam")
    parser.add_argument("--no-test", action="store_true", help="skip `bioimageio test` of samzoo's package")
    parser.add_argument("--formats", action="store_true", help="compare the build with all weight formats against the state-dict-only build")
    parser.add_argument("--repeat", type=int, default=2, help="with --formats or --against: builds of each kind (the best counts)")
    parser.add_argument("--against", metavar="REF", help="compare with the build of samzoo at this git revision, in this run")
    parser.add_argument("--mode", choices=["interactive", "automatic"], default="interactive",
                        help="with --against: the package kind (automatic: a random decoder is added to the checkpoint)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    workdir = Path(args.workdir).absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    model = {"vit_t": "vit_t_lm", "vit_b": "vit_b_lm", "vit_l": "vit_l_lm", "vit_h": "vit_h_histopathology"}[args.encoder]
    ckpt, image, labels = prepare_inputs(workdir, args.encoder)
    if args.formats:
        return bench_formats(workdir, model, ckpt, image, labels, args.repeat)
    if args.against:
        if args.mode == "automatic":
            ckpt = with_random_decoder(ckpt)
        return bench_against(workdir, args.against, model, ckpt, image, labels, args.repeat)
    weights_size = ckpt.stat().st_size
    print(f"checkpoint {ckpt.name}: random-initialised {args.encoder}, {weights_size / 1e6:.0f} MB; image 512 x 512 (ihc.png)")

    rows = []
    out = workdir / "samzoo.zip"
    rc, wall, peak = run_measured([sys.executable, "-m", "samzoo", "build", model, "--checkpoint", str(ckpt), "--image", str(image),
                                   "--labels", str(labels), "-o", str(out), "--force", "--json"],
                                  workdir, workdir / "samzoo.log")
    if rc != 0:
        print(f"samzoo build failed (exit {rc}); see {workdir / 'samzoo.log'}")
        return 1
    result = json.loads(_json_tail(workdir / "samzoo.log"))
    rows.append(("samzoo build", wall, peak, out.stat().st_size))
    print(f"samzoo: steps {result['timings']}")

    reference = None
    if has_micro_sam(args.reference_python):
        ref_out = workdir / "reference.zip"
        script = workdir / "reference_export.py"
        script.write_text(REFERENCE_SCRIPT)
        rc, rwall, rpeak = run_measured([args.reference_python, str(script), str(ckpt), str(image), str(labels), str(ref_out), args.encoder],
                                        workdir, workdir / "reference.log")
        if rc == 0:
            reference = (rwall, rpeak, ref_out.stat().st_size)
            rows.append(("micro-sam export_sam_model", rwall, rpeak, ref_out.stat().st_size))
        else:
            print(f"micro-sam's export failed (exit {rc}); see {workdir / 'reference.log'}")
    else:
        print(f"micro_sam is NOT importable by {args.reference_python}: no side-by-side run. "
              f"Comparing with the reference's time recorded for micro-sam 1.8.14 ({RECORDED_REFERENCE_S} s on CI's machine, docs/benchmarks.md: Building packages), "
              "which is not a measurement of this run.")

    print()
    print(f"{'tool':<28} {'wall s':>8} {'peak GB':>8} {'zip MB':>8} {'zip/weights':>12}")
    for name, w, p, size in rows:
        print(f"{name:<28} {w:8.1f} {p:8.2f} {size / 1e6:8.1f} {size / weights_size:12.2f}")
    ref_time = reference[0] if reference else RECORDED_REFERENCE_S
    ratio = wall / ref_time
    source = "measured in this run" if reference else "recorded earlier (docs/benchmarks.md), NOT this run"
    print()
    print(f"time ratio samzoo / reference ({source}): {ratio:.2f} (target <= {TARGET_TIME_RATIO}) "
          f"{'OK' if ratio <= TARGET_TIME_RATIO else 'MISSED'}")
    if reference:
        print(f"peak memory ratio samzoo / reference: {peak / reference[1]:.2f}")
    print(f"samzoo peak memory: {peak:.2f} GB (target <= {TARGET_PEAK_GB}) {'OK' if peak <= TARGET_PEAK_GB else 'MISSED'}")
    size_ratio = out.stat().st_size / weights_size
    print(f"samzoo zip / weights: {size_ratio:.3f} (target <= {TARGET_SIZE_RATIO}) {'OK' if size_ratio <= TARGET_SIZE_RATIO else 'MISSED'}")

    if not args.no_test:
        bioimageio = Path(sys.executable).with_name("bioimageio")
        summary = workdir / "samzoo_test_summary.json"
        rc, twall, tpeak = run_measured([str(bioimageio), "test", str(out), "--summary", str(summary)], workdir, workdir / "test.log")
        status = json.loads(summary.read_text())["status"] if summary.exists() else f"no summary (exit {rc})"
        print(f"bioimageio test {out.name}: status {status}, {twall:.1f} s, peak {tpeak:.2f} GB")
    return 0


def bench_formats(workdir: Path, model: str, ckpt: Path, image: Path, labels: Path, repeat: int) -> int:
    """State-dict-only build vs the build with every format, alternating, in this run."""
    best: dict[str, tuple[float, float, int]] = {}
    for i in range(repeat):
        for formats in ("pytorch_state_dict", ALL_FORMATS):
            out = workdir / f"formats-{formats.count(',')}.zip"
            log = workdir / f"formats-{formats.count(',')}-{i}.log"
            cmd = [sys.executable, "-m", "samzoo", "build", model, "--checkpoint", str(ckpt), "--image", str(image),
                   "--labels", str(labels), "-o", str(out), "--weight-format", formats, "--force", "--json"]
            rc, wall, peak = run_measured(cmd, workdir, log)
            if rc != 0:
                print(f"samzoo build --weight-format {formats} failed (exit {rc}); see {log}")
                return 1
            print(f"run {i + 1}: --weight-format {formats}: {wall:.1f} s, peak {peak:.2f} GB; notes: "
                  + " | ".join(json.loads(_json_tail(log))["notes"][1:]))
            if formats not in best or wall < best[formats][0]:
                best[formats] = (wall, peak, out.stat().st_size)
    print()
    print(f"{'--weight-format':<40} {'best wall s':>11} {'peak GB':>8} {'zip MB':>8}")
    for formats, (w, p, size) in best.items():
        print(f"{formats:<40} {w:11.1f} {p:8.2f} {size / 1e6:8.1f}")
    ratio = best[ALL_FORMATS][0] / best["pytorch_state_dict"][0]
    print(f"\nbuild time ratio all formats / state dict only (measured in this run): {ratio:.2f} "
          f"(target <= {TARGET_FORMATS_RATIO}) {'OK' if ratio <= TARGET_FORMATS_RATIO else 'MISSED'}")
    return 0


def with_random_decoder(ckpt: Path) -> Path:
    """A combined checkpoint ``{"model_state", "decoder_state"}``: ``ckpt``'s SAM weights and a random decoder (seed 0)."""
    import torch

    from samzoo.architectures import sam_ais

    out = ckpt.with_name(ckpt.stem + "_with_decoder.pt")
    if not out.exists():
        torch.manual_seed(0)
        decoder = sam_ais.AISDecoder(transposed=False).state_dict()
        torch.save({"model_state": torch.load(ckpt, weights_only=True), "decoder_state": dict(decoder)}, out)
    return out


def checkout_of(ref: str, workdir: Path) -> Path:
    """samzoo's ``src`` and ``model_specs`` at git revision ``ref``, unpacked under ``workdir`` (once per revision)."""
    repo = Path(__file__).resolve().parents[1]
    sha = subprocess.run(["git", "rev-parse", "--verify", ref + "^{commit}"], cwd=repo, capture_output=True, text=True)
    if sha.returncode != 0:
        sys.exit(f"--against {ref}: not a git revision of {repo}")
    folder = workdir / f"samzoo-{sha.stdout.strip()[:12]}"
    if not folder.is_dir():
        tmp = folder.with_name(folder.name + ".part")
        tmp.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha.stdout.strip(), "src", "model_specs"], cwd=repo, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        tmp.rename(folder)
    return folder


def bench_against(workdir: Path, ref: str, model: str, ckpt: Path, image: Path, labels: Path, repeat: int) -> int:
    """This checkout's build vs samzoo at ``ref``, alternating, in this run: best wall times, ratio, same sha256 or not."""
    other = checkout_of(ref, workdir)
    sources = {"this checkout": None, f"samzoo at {ref}": other / "src"}
    best: dict[str, tuple[float, str]] = {}
    for i in range(repeat):
        order = list(sources.items())
        for label, src in order[::-1] if i % 2 else order:  # each goes first every other round
            env = {**os.environ, "PYTHONPATH": str(src)} if src else None
            out = workdir / f"against-{'ref' if src else 'this'}.zip"
            log = workdir / f"against-{'ref' if src else 'this'}-{i}.log"
            cmd = [sys.executable, "-m", "samzoo", "build", model, "--checkpoint", str(ckpt), "--image", str(image),
                   "--labels", str(labels), "-o", str(out), "--json"]
            out.unlink(missing_ok=True)
            start = time.perf_counter()
            with open(log, "w") as f:
                rc = subprocess.run(cmd, cwd=workdir, stdout=f, stderr=subprocess.STDOUT, env=env).returncode
            wall = time.perf_counter() - start
            if rc != 0:
                print(f"{label}: samzoo build failed (exit {rc}); see {log}")
                return 1
            result = json.loads(_json_tail(log))
            print(f"run {i + 1}: {label}: {wall:.1f} s ({result['mode']}, sha256 {result['sha256'][:12]})")
            if label not in best or wall < best[label][0]:
                best[label] = (wall, result["sha256"])
    (this, this_sha), (then, then_sha) = (best[label] for label in sources)
    ratio = this / then
    print(f"\nbest of {repeat}: this checkout {this:.1f} s, samzoo at {ref} {then:.1f} s: ratio {ratio:.2f} "
          f"(target <= {TARGET_AGAINST_RATIO}) {'OK' if ratio <= TARGET_AGAINST_RATIO else 'MISSED'}; "
          f"same sha256: {this_sha == then_sha}")
    return 0


def _json_tail(log: Path) -> str:
    """The JSON object printed by `samzoo build --json` (stderr lines come first in the log)."""
    text = log.read_text()
    return text[text.index("{"):]


if __name__ == "__main__":
    sys.exit(main())
