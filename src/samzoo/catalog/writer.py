"""``samzoo catalog add``: register a lab's own model in the user catalog (``SAMZOO_CATALOG``).

The spec is written in the format of ``model_specs/``, validated with the
catalog's own loader before it is put in place (atomically). Local weight
paths become ``file://`` URLs; their hash is computed when not given and
checked when given.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml

from ..catalog import ENCODERS, load_catalog, load_spec_file, dump_spec, user_spec_dir
from ..errors import SamzooError
from ..hashing import file_hash, parse_hash
from .cache import temp_name

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def catalog_dir() -> Path:
    """The user catalog directory (``SAMZOO_CATALOG``, else the platform's user config dir + ``catalog``)."""
    d = user_spec_dir()
    if d is None:  # older catalog module without a default
        raise SamzooError("set SAMZOO_CATALOG to a directory for your own model specs")
    return d


def _weights_entry(value: str, digest: str | None, option: str) -> dict:
    if value.startswith(("https://", "http://", "file://")):
        if digest is None:
            raise SamzooError(f"{option} is required for a URL ({value}); give it as ALG:HEX, e.g. sha256:...")
        return {"url": value, "hash": _norm(digest, option)}
    path = Path(value).expanduser()
    if not path.is_file():
        raise SamzooError(f"{value}: no such file; give the weights as a local path or an https:// URL")
    if digest is None:
        got = file_hash(path, "xxh128")
    else:
        alg = parse_hash(_norm(digest, option))[0]
        got = file_hash(path, alg)
        if got != _norm(digest, option):
            raise SamzooError(f"{path} hashes to {got}, not {_norm(digest, option)}; check the file or the hash")
    return {"url": path.resolve().as_uri(), "hash": got}


def _norm(digest: str, option: str) -> str:
    try:
        alg, hexd = parse_hash(digest)
    except ValueError as e:
        raise SamzooError(f"{option}: {e}") from None
    return f"{alg}:{hexd}"


def add_model(name: str, *, encoder: str, weights: str, hash: str | None = None, decoder: str | None = None,
              decoder_hash: str | None = None, domain: str = "light_microscopy", nickname: str | None = None,
              emoji: str | None = None, description: str | None = None, license: str = "CC-BY-4.0",
              directory: str | os.PathLike | None = None, replace: bool = False) -> Path:
    """Write ``<user catalog>/<name>.yaml``; returns its path. From then on every command knows ``name``."""
    if not _NAME.match(name):
        raise SamzooError(f"model name {name!r} must be lower-case letters, digits and '_', e.g. '{encoder}_mylab'")
    if encoder not in ENCODERS:
        raise SamzooError(f"--encoder {encoder!r}: choose one of {', '.join(ENCODERS)}")
    if not name.startswith(encoder):
        raise SamzooError(f"model name {name!r} must start with its encoder, e.g. '{encoder}_{name}'")
    directory = Path(directory) if directory is not None else catalog_dir()
    catalog = load_catalog()
    existing = catalog.models.get(name)
    if existing is not None and not (replace and existing.spec_file and Path(existing.spec_file).parent.resolve() == directory.resolve()):
        raise SamzooError(f"{name} is already defined in {existing.spec_file}; choose another name"
                          + (" (or pass --replace to overwrite your own spec)" if existing.spec_file and Path(existing.spec_file).parent.resolve() == directory.resolve() else ""))
    if nickname:
        taken = next((s for s in catalog.models.values() if s.nickname == nickname and s.model_type != name), None)
        if taken is not None:
            raise SamzooError(f"nickname {nickname!r} is already used by {taken.model_type}; choose another")
    w = {"encoder": _weights_entry(weights, hash, "--hash")}
    if decoder is not None:
        w["decoder"] = _weights_entry(decoder, decoder_hash, "--decoder-hash")
    raw = {
        "model_type": name, "encoder": encoder, "domain": domain, "status": "current",
        "display_name": f"{name} (user model)", "description": description or f"User-registered {encoder} model {name}.",
        "license": license, "citations": ["sam", "micro_sam"], "tags": ["segment-anything", encoder, "user"],
        "git_repo": None, "current_version": "v1",
        "versions": [{"version": "v1", "source": w["encoder"]["url"], "weights": w}],
    }
    if nickname or emoji:
        raw["nickname"], raw["emoji"] = nickname, emoji
    with tempfile.TemporaryDirectory() as tmpdir:  # validate with the catalog's own loader first
        probe = Path(tmpdir) / f"{name}.yaml"
        probe.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            spec = load_spec_file(probe)
        except SamzooError as e:
            raise SamzooError(str(e).replace(str(probe), name)) from None
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.yaml"
    tmp = temp_name(target)
    try:
        tmp.write_text(f"# {name}: user model, written by `samzoo catalog add`. Format: model_specs/README.md\n"
                       + dump_spec(spec), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
