"""Find the weights of a BioImage.IO model package (zip or unpacked folder) through its rdf.yaml.

The encoder weights are ``weights.pytorch_state_dict.source`` (with its
``sha256``); a decoder, if any, is the attachment whose file name contains
``decoder`` (with its ``sha256`` when given).
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import yaml

from ..catalog.schema import MODEL_TYPE
from ..plumbing.errors import SamzooError
from ..plumbing.hashing import Digest
from ..plumbing.rdf_files import rdf_in_folder, rdf_in_names
from ..plumbing.untrusted import (
    InputLimitError,
    check_zip_sizes,
    decode_text,
    parse_yaml,
    read_member_bounded,
    read_text_bounded,
)

class PackageError(SamzooError):
    """A package without readable pytorch_state_dict weights."""


@dataclass(frozen=True)
class PackageFile:
    source: str             # relative path inside the package, or a URL
    sha256: Digest | None


@dataclass(frozen=True)
class PackageWeights:
    path: Path
    name: str
    encoder: PackageFile
    decoder: PackageFile | None
    #: the catalog's model type a samzoo build records (``config.samzoo.model_type``), else ``name``
    model_type: str = ""


def is_package(path: Path) -> bool:
    return (path.is_dir() and rdf_in_folder(path) is not None) or (path.is_file() and zipfile.is_zipfile(path) and path.suffix == ".zip")


def _rdf_text(path: Path) -> str:
    """The package's rdf.yaml as text, within the caps of :mod:`samzoo.plumbing.untrusted`."""
    try:
        if path.is_dir():
            rdf = rdf_in_folder(path)
            if rdf is None:
                raise PackageError(f"{path}: no rdf.yaml in this folder; pass a BioImage.IO package folder or zip")
            return read_text_bounded(rdf, what="rdf.yaml")
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            rdf = rdf_in_names(names)
            if rdf is None:
                raise PackageError(f"{path}: the zip holds no rdf.yaml; pass a BioImage.IO model package")
            return decode_text(read_member_bounded(z, rdf, str(path), what="rdf.yaml"), f"{path}: {rdf}", "rdf.yaml")
    except InputLimitError as e:
        raise PackageError(str(e)) from None
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as e:
        raise PackageError(f"{path}: not a readable zip file ({type(e).__name__}); is the download complete?") from None


def _file(entry: dict, what: str, path: Path) -> PackageFile:
    source = entry.get("source") if isinstance(entry, dict) else None
    if not isinstance(source, str) or not source:
        raise PackageError(f"{path}: rdf.yaml: {what} has no 'source'; the package is incomplete")
    sha = entry.get("sha256")
    if not sha:
        return PackageFile(source, None)
    try:
        return PackageFile(source, Digest.parse(f"sha256:{sha}"))
    except ValueError:
        raise PackageError(f"{path}: rdf.yaml: {what} has sha256 {str(sha)[:80]!r}, not 64 hex digits; "
                           "the package is broken, rebuild it") from None


def read_package(path: Path) -> PackageWeights:
    """The weight files a package declares (reads rdf.yaml only)."""
    try:
        rdf = parse_yaml(_rdf_text(path), f"{path}: rdf.yaml", "rdf")
    except InputLimitError as e:
        raise PackageError(str(e)) from None
    except yaml.YAMLError as e:
        raise PackageError(f"{path}: rdf.yaml is not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(rdf, dict):
        raise PackageError(f"{path}: rdf.yaml is not a mapping; pass a BioImage.IO model package")
    weights = rdf.get("weights") or {}
    psd = weights.get("pytorch_state_dict") if isinstance(weights, dict) else None
    if not isinstance(psd, dict):
        have = ", ".join(weights) if isinstance(weights, dict) and weights else "none"
        raise PackageError(f"{path}: rdf.yaml has no pytorch_state_dict weights (has: {have}); samzoo loads SAM state dicts only")
    encoder = _file(psd, "weights.pytorch_state_dict", path)
    decoder = None
    attachments = rdf.get("attachments") or []
    if not isinstance(attachments, list):
        raise PackageError(f"{path}: rdf.yaml: attachments is a {type(attachments).__name__}, not a list of files; the package is malformed")
    for att in attachments:
        src = att.get("source") if isinstance(att, dict) else att
        if isinstance(src, str) and "decoder" in PurePosixPath(src).name and src.endswith((".pt", ".pth")):
            decoder = _file(att if isinstance(att, dict) else {"source": src}, "attachment", path)
            break
    model_type = _samzoo_model_type(rdf)
    name = str(rdf.get("id") or model_type or rdf.get("name") or path.stem)
    return PackageWeights(path, name, encoder, decoder, model_type or name)


def _samzoo_model_type(rdf: dict) -> str | None:
    """``config.samzoo.model_type`` of a package samzoo built (a catalog name: ``vit_t_mylab``), if well-formed."""
    config = rdf.get("config")
    samzoo = config.get("samzoo") if isinstance(config, dict) else None
    value = samzoo.get("model_type") if isinstance(samzoo, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 and MODEL_TYPE.match(value) else None


@contextlib.contextmanager
def open_member(path: Path, source: str) -> Iterator[BinaryIO]:
    """Open a file of a zip package for reading (binary)."""
    member = source.removeprefix("./")
    with zipfile.ZipFile(path) as z:
        try:
            check_zip_sizes(z, path.stat().st_size, str(path))
        except InputLimitError as e:
            raise PackageError(str(e)) from None
        try:
            f = z.open(member)
        except KeyError:
            raise PackageError(f"{path}: rdf.yaml names {source!r} but the zip does not contain it; the package is broken") from None
        with f:
            yield f
