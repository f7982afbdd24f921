"""The export worker as the build sees it: started first, asked for the test embeddings, waited for, its files kept or not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...plumbing.errors import OutputError, describe_error
from .crosscheck import check_onnx_decoder, check_torchscript
from .plan import FormatPlan, onnx_decoder_file, plan_formats, torchscript_file

if TYPE_CHECKING:
    from ..context import BuildContext

#: the longest an export may take (vit_h's trace takes minutes on a laptop)
EXPORT_TIMEOUT_S = 3600


class ExportJob:
    """The export worker process, started at the beginning of the build; :meth:`wait` returns its error line or None.

    With TorchScript planned, the worker's trace of the image encoder is also the build's encoder pass
    (:meth:`encode`): the encoder runs once for both.
    """

    def __init__(self, checkpoint: Path, encoder: str, folder: Path, plan: FormatPlan) -> None:
        cmd = [sys.executable, "-m", "samzoo.builder.exports.export_worker", str(checkpoint), encoder]
        if plan.torchscript:
            cmd += ["--torchscript", str(folder / torchscript_file(encoder)), "--encode"]
        if plan.onnx_decoder:
            cmd += ["--onnx-decoder", str(folder / onnx_decoder_file(encoder))]
        self.encodes = plan.torchscript
        self.folder = folder  # the worker's files; removed by stop()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if self.encodes else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def encode(self, image_bchw: np.ndarray) -> np.ndarray | None:
        """The embeddings of the test image, from the worker's traced encoder pass; None if the worker failed."""
        import selectors

        src, dst = self.folder / "encoder_input.npy", self.folder / "encoder_output.npy"
        try:
            np.save(src, image_bchw, allow_pickle=False)
            self.proc.stdin.write(f"{src} {dst}\n")
            self.proc.stdin.close()
            self.proc.stdin = None  # communicate() must not flush it later
            with selectors.DefaultSelector() as sel:
                sel.register(self.proc.stdout, selectors.EVENT_READ)
                ready = sel.select(timeout=EXPORT_TIMEOUT_S)
            line = self.proc.stdout.readline() if ready else ""
            return np.load(dst, allow_pickle=False) if line.strip() == "encoded" else None
        except (OSError, ValueError):
            return None
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)

    def wait(self) -> str | None:
        try:
            _, err = self.proc.communicate(timeout=EXPORT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            return f"the export took longer than {EXPORT_TIMEOUT_S} s"
        if self.proc.returncode != 0:
            lines = [ln for ln in (err or "").splitlines() if ln.strip()]
            return lines[-1] if lines else f"the export process exited with status {self.proc.returncode}"
        return None

    def stop(self) -> None:
        """Stop the worker and remove its folder (a failed or interrupted build leaves nothing behind)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def export_folder(near: Path) -> Path:
    """A new private folder for the worker's files in the nearest existing folder at or above ``near``.

    On the package's file system (its files are renamed into the package), creating no folder the user asked for.
    """
    place = near
    while not place.is_dir() and place != place.parent:
        place = place.parent
    try:
        return Path(tempfile.mkdtemp(prefix=".samzoo-export-", dir=place))
    except OSError as e:
        raise OutputError(f"{place}: cannot write the package there ({e.strerror or type(e).__name__}); choose another output") from None


def start_exports(b: BuildContext, mode: str | None, near: Path) -> ExportJob | None:
    """The export worker of the formats an interactive package would get (None when there is nothing to export).

    Started first, before this process reads the checkpoint, so that the two processes import torch side
    by side; it writes into a private folder next to where the package will go (moved into the package
    after the cross-check) and is stopped if the package turns out to be an automatic one.
    """
    plan = plan_formats(mode or "interactive", b.weight_formats)
    if mode == "automatic" or not plan.any:
        return None
    return ExportJob(b.checkpoint, b.spec.encoder, export_folder(near), plan)


def finish_exports(b: BuildContext, staging: Path, job: ExportJob, arrays: dict[str, np.ndarray]) -> None:
    """Wait for the exports; move each one whose outputs on the test inputs (``arrays``) match the state dict's into
    ``staging``, and say why the others are left out (``b``: the builder's context)."""
    error = job.wait()
    plan = b.format_plan
    checks = [("torchscript", torchscript_file(b.spec.encoder), check_torchscript, plan.torchscript),
              ("onnx prompt decoder", onnx_decoder_file(b.spec.encoder), check_onnx_decoder, plan.onnx_decoder)]
    for what, fname, check, planned in checks:
        if not planned:
            continue
        path = job.folder / fname
        problem = f"the export failed ({error})" if error or not path.is_file() else None
        if problem is None:
            try:
                problem = check(path, arrays, b.outputs)
            except Exception as e:
                problem = f"it cannot be run ({describe_error(e)})"
        if problem is None:
            os.replace(path, staging / fname)
            b.extra_files.append(fname)
            b.say(f"{what}: added; its outputs on the test inputs match the state dict's within the package's tolerances")
        else:
            path.unlink(missing_ok=True)
            b.say(f"{what}: not added: {problem}")
    b.timer.lap("other weight formats")
