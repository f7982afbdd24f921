"""Writing specs: the YAML form of a spec, and a lab's own model registered in the user catalog.

:func:`add_model` (``samzoo catalog add``) writes a spec in the format of ``model_specs/``,
validated with the catalog's own loader before it is put in place atomically. Local weight
paths become ``file://`` URLs; their hash is computed when not given and checked when given.
The encoder is inferred from the name's prefix (``vit_b_mylab`` -> ``vit_b``). Authors,
maintainers (``"Jane Doe @janedoe"``, checked by :mod:`.people`) and citations (a DOI, a URL or a text) are written as given.
:func:`user_models` lists the user catalog, :func:`remove_model` takes a model out of it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from ..plumbing.atomic import write_text_atomic
from ..plumbing.errors import ArgumentError, SamzooError
from ..plumbing.hashing import file_hash, parse_hash
from .loading import load_spec_file, user_spec_dir
from .lookup import Catalog, load_catalog
from .people import checked_person
from .schema import MODEL_TYPE, ModelSpec
from .vocabulary import ENCODERS



def dump_spec(spec: ModelSpec) -> str:
    """The YAML text of a spec, in the format of ``model_specs/``."""
    data = spec.model_dump(mode="json", exclude_none=True, exclude={"spec_file"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _norm(digest: str, argument: str) -> str:
    try:
        alg, hexd = parse_hash(digest)
    except ValueError as e:
        raise ArgumentError(argument, str(e)) from None
    return f"{alg}:{hexd}"


def _weights_entry(value: str, digest: str | None, argument: str, hash_argument: str) -> dict:
    """``{url, hash}`` of weights given as a URL (hash required) or a local file (hash computed or checked)."""
    if value.startswith(("https://", "http://", "file://")):
        if digest is None:
            raise ArgumentError(hash_argument, f"is required for a URL ({value}); give it as ALG:HEX, e.g. sha256:...")
        return {"url": value, "hash": _norm(digest, hash_argument)}
    path = Path(value).expanduser()
    if not path.is_file():
        raise ArgumentError(argument, f"{value}: no such file; give the weights as a local path or an https:// URL")
    if digest is None:
        got = file_hash(path, "xxh128")
    else:
        expected = _norm(digest, hash_argument)
        got = file_hash(path, parse_hash(expected)[0])
        if got != expected:
            raise ArgumentError(hash_argument, f"{path} hashes to {got}, not {expected}; check the file or the hash")
    return {"url": path.resolve().as_uri(), "hash": got}


def _check_name(name: str, encoder: str) -> None:
    if not MODEL_TYPE.match(name):
        raise ArgumentError("name", f"model name {name!r} must be lower-case letters, digits and '_', e.g. '{encoder}_mylab'")
    if encoder not in ENCODERS:
        raise ArgumentError("encoder", f"{encoder!r} is not an encoder; choose one of {', '.join(ENCODERS)}")
    if not name.startswith(encoder):
        raise ArgumentError("name", f"model name {name!r} must start with its encoder, e.g. '{encoder}_{name}'")


def _check_free(catalog: Catalog, name: str, nickname: str | None, directory: Path, replace: bool) -> None:
    """Refuse a name or nickname another spec has (the user's own spec of ``name`` only with ``replace``)."""
    existing = catalog.models.get(name)
    if existing is not None:
        own = bool(existing.spec_file) and Path(existing.spec_file).parent.resolve() == directory.resolve()
        if not own:
            raise ArgumentError("name", f"{name} is already defined in {existing.spec_file}; choose another name")
        if not replace:
            raise ArgumentError("replace", f"is off and {name} is already defined in your catalog ({existing.spec_file}); "
                                           "turn it on to overwrite your own spec, or choose another name")
    if nickname:
        taken = next((s for s in catalog.models.values() if s.nickname == nickname and s.model_type != name), None)
        if taken is not None:
            raise ArgumentError("nickname", f"{nickname!r} is already used by {taken.model_type}; choose another")


def encoder_of_name(name: str) -> str | None:
    """The encoder a model name starts with (``vit_b_mylab`` -> ``vit_b``), or None."""
    return next((e for e in sorted(ENCODERS, key=len, reverse=True) if name == e or name.startswith(f"{e}_")), None)


def citation(text: str) -> dict[str, str]:
    """A citation from a DOI (``10.1038/...``, ``doi:...``), a URL, or a free text."""
    value = str(text).strip()
    doi = value.removeprefix("doi:").removeprefix("https://doi.org/")
    if re.match(r"^10\.\d{4,}/\S+$", doi):
        return {"text": f"doi:{doi}", "doi": doi}
    if value.startswith(("https://", "http://")):
        return {"text": value, "url": value}
    return {"text": value}


def _raw_spec(name: str, encoder: str, weights: dict, *, domain: str, nickname: str | None, emoji: str | None,
              description: str | None, license: str, people: dict[str, list[str]]) -> dict:
    raw = {
        "model_type": name, "encoder": encoder, "domain": domain, "status": "current",
        "display_name": f"{name} (user model)", "description": description or f"User-registered {encoder} model {name}.",
        "authors": [checked_person(a, "authors") for a in people.get("authors", [])],
        "maintainers": [checked_person(m, "maintainers") for m in people.get("maintainers", [])],
        "license": license, "citations": ["sam", "micro_sam", *(citation(c) for c in people.get("cite", []))],
        "tags": ["segment-anything", encoder, "user"],
        "git_repo": None, "current_version": "v1",
        "versions": [{"version": "v1", "source": weights["encoder"]["url"], "weights": weights}],
    }
    if nickname or emoji:
        raw["nickname"], raw["emoji"] = nickname, emoji
    return raw


def _validated(name: str, raw: dict) -> ModelSpec:
    """The spec as the catalog's own loader reads it; its errors name the model instead of a temporary file."""
    with tempfile.TemporaryDirectory() as tmpdir:
        probe = Path(tmpdir) / f"{name}.yaml"
        probe.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            return load_spec_file(probe)
        except SamzooError as e:
            raise SamzooError(str(e).replace(str(probe), name)) from None


def add_model(name: str, *, weights: str, encoder: str | None = None, hash: str | None = None,
              decoder: str | None = None, decoder_hash: str | None = None, domain: str = "light_microscopy",
              nickname: str | None = None, emoji: str | None = None, description: str | None = None,
              license: str = "CC-BY-4.0", authors: Sequence[str] = (), maintainers: Sequence[str] = (),
              cite: Sequence[str] = (), directory: str | os.PathLike | None = None, replace: bool = False) -> Path:
    """Write ``<user catalog>/<name>.yaml``; returns its path. From then on every command knows ``name``.

    ``encoder`` defaults to the name's prefix. ``authors`` / ``maintainers``: ``"Name"`` or ``"Name @github_user"``;
    ``cite``: DOIs, URLs or texts (SAM and micro-sam are always cited). Raises :class:`ArgumentError`.
    """
    encoder = encoder or encoder_of_name(name)
    if encoder is None:
        raise ArgumentError("encoder", f"cannot be inferred from the name {name!r}; give it, or start the name with "
                                       f"one of {', '.join(ENCODERS)} (e.g. 'vit_b_{name}')")
    _check_name(name, encoder)
    directory = Path(directory) if directory is not None else user_spec_dir()
    _check_free(load_catalog(), name, nickname, directory, replace)
    w = {"encoder": _weights_entry(weights, hash, "weights", "hash")}
    if decoder is not None:
        w["decoder"] = _weights_entry(decoder, decoder_hash, "decoder", "decoder_hash")
    people = {"authors": list(authors), "maintainers": list(maintainers), "cite": list(cite)}
    spec = _validated(name, _raw_spec(name, encoder, w, domain=domain, nickname=nickname, emoji=emoji, description=description, license=license,
                                         people=people))
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.yaml"
    write_text_atomic(target, f"# {name}: user model, written by `samzoo catalog add`. Format: model_specs/README.md\n"
                              + dump_spec(spec))
    return target


def _user_dir(directory: str | os.PathLike | None) -> Path:
    return Path(directory) if directory is not None else user_spec_dir()


def user_models(directory: str | os.PathLike | None = None) -> list[ModelSpec]:
    """The specs of the user catalog (``SAMZOO_CATALOG``), in name order."""
    folder = _user_dir(directory)
    if not folder.is_dir():
        return []
    return [load_spec_file(p) for p in sorted(folder.glob("*.yaml")) if not p.name.startswith("_")]


def remove_model(name: str, directory: str | os.PathLike | None = None) -> Path:
    """Delete ``<user catalog>/<name>.yaml`` (only the user catalog's specs can be removed); returns its path."""
    folder = _user_dir(directory)
    target = folder / f"{name}.yaml"
    if not MODEL_TYPE.match(name) or not target.is_file():
        mine = [s.model_type for s in user_models(folder)]
        known = f"it holds: {', '.join(mine)}" if mine else "it is empty"
        raise ArgumentError("name", f"{name!r} is not in your catalog ({folder}); {known}")
    target.unlink()
    return target


def record_zoo_id(name: str, zoo_id: str, directory: str | os.PathLike | None = None) -> Path | None:
    """Give a user-catalog model the id the zoo assigned to its first upload (its ``nickname``); returns the spec file.

    None when ``name`` is not a user model or already has a nickname (the catalog keeps the first id).
    Its next build then names the id in the rdf, and its next publish is a new version of that model.
    """
    target = _user_dir(directory) / f"{name}.yaml"
    if not MODEL_TYPE.match(name) or not target.is_file():
        return None
    spec = load_spec_file(target)
    if spec.nickname:
        return None
    taken = [s.model_type for s in load_catalog().all() if s.nickname == zoo_id]
    if taken:
        raise SamzooError(f"{zoo_id} is already the nickname of {taken[0]} in the catalog; set the nickname of {name} by hand")
    updated = _validated(name, {**yaml.safe_load(dump_spec(spec)), "nickname": zoo_id})
    first = target.read_text(encoding="utf-8").split("\n", 1)[0]
    header = first + "\n" if first.startswith("#") else ""
    write_text_atomic(target, header + dump_spec(updated))
    return target
