"""Where a BioImage.IO package keeps its description: ``rdf.yaml``, ``bioimageio.yaml`` or ``<name>.bioimageio.yaml``.

Shared by the resolver (weights through a package's rdf) and the validator (any package).
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Iterable

RDF_NAMES = ("rdf.yaml", "bioimageio.yaml")
_SUFFIX = ".bioimageio.yaml"


def is_rdf_name(name: str) -> bool:
    """Whether a file name is a package description's."""
    return name in RDF_NAMES or name.endswith(_SUFFIX)


def rdf_in_folder(folder: Path) -> Path | None:
    """The description file at the top of ``folder``, if any (``rdf.yaml`` first)."""
    for name in RDF_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob(f"*{_SUFFIX}"))
    return found[0] if found else None


def rdf_in_names(names: Iterable[str]) -> str | None:
    """The description among a zip's member names (top level only, ``rdf.yaml`` first)."""
    top = [n for n in names if "/" not in n]
    return next((n for n in RDF_NAMES if n in top), None) or next((n for n in sorted(top) if n.endswith(_SUFFIX)), None)
