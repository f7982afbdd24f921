"""Atomic file writes: a per-process temporary name next to the target, then ``os.replace``.

A reader never sees a half-written file, and an interrupted write leaves at most a hidden
``.NAME.<pid>.<random>.part`` file, never a truncated target.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from .errors import OutputError


def temp_name(target: Path) -> Path:
    """A per-process temporary name next to ``target`` (same directory, so ``os.replace`` is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; :class:`~samzoo.plumbing.errors.OutputError` when it cannot be written."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"{path}: cannot write it ({e.strerror or type(e).__name__}); choose another place") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
