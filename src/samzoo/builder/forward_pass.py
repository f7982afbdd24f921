"""What both kinds' forward pass on the test image shares: the weights written meanwhile, the outputs checked testable."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..plumbing.errors import OutputError, SamzooError


def _save(state: Mapping[str, Any], path: Path, errors: list[BaseException], verbatim: Path | None) -> None:
    import torch

    try:
        if verbatim is not None:
            shutil.copyfile(verbatim, path)
        else:
            torch.save(state, path)
    except BaseException as e:  # reported by saving_weights
        errors.append(e)


@contextlib.contextmanager
def saving_weights(state: Mapping[str, Any], path: Path, verbatim: Path | None = None) -> Iterator[None]:
    """Write ``state`` (or copy the file ``verbatim``) to ``path`` in a thread while the block computes (I/O next to compute).

    The thread is joined before the block's exit goes on (nothing may remove the folder it writes into
    first); a failed write is an :class:`OutputError` (exit 1), after the block's own error if it had one.
    """
    errors: list[BaseException] = []
    saver = threading.Thread(target=_save, args=(state, path, errors, verbatim))
    saver.start()
    try:
        yield
    finally:
        saver.join()
    if errors:
        raise OutputError(f"cannot write the weights into {path.parent} ({errors[0]}); check free disk space")


#: bioimageio.spec refuses an output test tensor whose values all lie within this of 0 ("too small for reliable testing")
UNTESTABLE_BELOW = 1e-4


def check_testable_outputs(outputs: Mapping[str, np.ndarray], source: str) -> None:
    """A one-line SamzooError when an output test tensor is all (near) zero: no prompt found an object, nothing to test."""
    for name, array in outputs.items():
        if array.size == 0 or (array.min() > -UNTESTABLE_BELOW and array.max() < UNTESTABLE_BELOW):
            raise SamzooError(
                f"the model's test output {name!r} is all zero on the test image ({source}): it finds no object there; "
                "pass an image (and labels) with objects of the model's domain, or check the weights"
            )
