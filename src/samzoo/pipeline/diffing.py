"""``samzoo.diff(a, b)``: turn each source into a local package, then compare them (:mod:`samzoo.compare`).

:func:`local_package` is the one seam where a source becomes a path: a zip or folder as it is, a URL of
a zip downloaded through the resolver's transfer (bounded, retried) into a temporary folder. Zoo ids
(``id/version``) plug in here once the resolver resolves them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..compare.compare_packages import CompareOptions, diff_packages
from ..compare.diff_result import PackageDiff
from ..plumbing.errors import ArgumentError


class _FileSink:
    """A download target that can start again (what :func:`samzoo.resolver.transfer.download` writes to)."""

    def __init__(self, f) -> None:
        self.f = f

    def reset(self) -> None:
        self.f.seek(0)
        self.f.truncate()

    def write(self, data: bytes) -> int:
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


def local_package(source: str | os.PathLike, workdir: Path, stage: bool = False, server: str | None = None) -> Path:
    """The local package (zip or folder) that ``source`` names; a URL is downloaded into ``workdir``; a zoo id
    (``affable-otter``, ``affable-otter/v1``; ``stage``: an id without version means its staged draft) is fetched
    through the resolver's verified cache."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        from ..resolver.transfer import download

        target = workdir / f"{len(list(workdir.iterdir()))}-package.zip"
        with open(target, "wb") as f:
            download(text, _FileSink(f))
        return target
    path = Path(text)
    if path.exists():
        return path
    from ..resolver.zoo_package import fetch_zoo_package, parse_zoo_id

    zid = parse_zoo_id(text)
    if zid is None:
        raise ArgumentError("source", f"{text}: no such package zip or folder (pass a zip, a package folder, an http(s) URL of a zip "
                                      "or a zoo id such as affable-otter/v1)")
    return fetch_zoo_package(text, stage=stage and zid.version is None, server=server)


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="samzoo-diff-src-") as tmp:
        yield Path(tmp)


def diff(a: str | os.PathLike, b: str | os.PathLike, *, static: bool = False, images: Sequence[str | os.PathLike] = (),
         device: str = "cpu", stage: bool = False, server: str | None = None) -> PackageDiff:
    """What package ``b`` changes against package ``a``: rdf fields, files, weights, and (unless ``static``) behaviour.

    ``a`` and ``b``: a package zip or folder, an http(s) URL of a zip, or a zoo id (``id``, ``id/v1``; with
    ``stage``, a bare ``id`` is its draft under review), fetched from ``server`` (default ``$SAMZOO_ZOO_SERVER``).
    """
    options = CompareOptions(static=static, images=tuple(Path(p) for p in images), device=device)
    for p in options.images:
        if not p.is_file():
            raise ArgumentError("--image", f"{p}: no such image file")
    with _workdir() as tmp:
        return diff_packages(local_package(a, tmp, stage, server), local_package(b, tmp, stage, server), options)
