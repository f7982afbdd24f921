"""The model catalog: one YAML spec per model type, validated on load, and the one resolver of names.

Specs live in ``model_specs/`` (shipped with samzoo) and, optionally, in a
user catalog directory (``SAMZOO_CATALOG``, read at call time). Shared
citations and people are defined once in ``model_specs/_shared.yaml`` and
referenced by key. Every spec is validated by pydantic with unknown fields
forbidden, so a typo'd field fails with one line naming the file and field.

Names understood by :meth:`Catalog.lookup`::

    vit_b_lm               model type, current version
    vit_b_lm@v2            model type at a version label
    vit_b_lm@1.2           model type at a zoo version
    diplomatic-bug         zoo nickname, current version
    diplomatic-bug/1.2     zoo nickname at a zoo version
    10.5281/zenodo.11103798, doi:..., https://doi.org/..., https://zenodo.org/records/...
                           the version whose source is that record

This module imports no other samzoo module except ``errors`` and ``hashing``.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import SpecError, UnknownModelError
from .hashing import parse_hash

Encoder = Literal["vit_t", "vit_b", "vit_l", "vit_h"]
Domain = Literal["natural", "light_microscopy", "electron_microscopy", "medical_imaging", "histopathology"]
Status = Literal["current", "legacy", "specialist"]
Role = Literal["default", "quality", "fast"]

ENCODERS: tuple[str, ...] = get_args(Encoder)
DOMAINS: tuple[str, ...] = get_args(Domain)

#: UI category (the micro-sam model selector's label) of each domain.
CATEGORIES: dict[str, str] = {
    "natural": "Natural Images (SAM)",
    "light_microscopy": "Light Microscopy",
    "electron_microscopy": "Electron Microscopy",
    "medical_imaging": "Medical Imaging",
    "histopathology": "Histopathology",
}

SHARED_FILE = "_shared.yaml"
_NICKNAME = re.compile(r"^[a-z]+-[a-z]+$")
_MODEL_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
#: libyaml's safe loader when available (same result, ~20x faster: the catalog is read at every resolve)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ZENODO_RECORD = re.compile(r"zenodo\.(?:org/records?/|)(\d+)|zenodo\.(\d+)", re.IGNORECASE)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightFile(_Frozen):
    """One published weight file: where it is and what it hashes to."""

    url: str = Field(description="https:// URL (or file:// path for a local user catalog)")
    hash: str = Field(description="'<algorithm>:<hex>', e.g. 'xxh128:fe92...' or 'sha256:...'")
    filename: str | None = Field(None, description="file name to store it under; defaults to the URL's")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not (v.startswith("https://") or v.startswith("http://") or v.startswith("file://")):
            raise ValueError(f"url {v!r} must start with https://, http:// or file://")
        return v

    @field_validator("hash")
    @classmethod
    def _hash(cls, v: str) -> str:
        alg, digest = parse_hash(v)
        return f"{alg}:{digest}"


class Weights(_Frozen):
    """The encoder (SAM) weights of a version and, where one exists, its instance-segmentation decoder."""

    encoder: WeightFile
    decoder: WeightFile | None = None


class Person(_Frozen):
    name: str
    github_user: str | None = None
    affiliation: str | None = None
    orcid: str | None = None


class Citation(_Frozen):
    text: str
    doi: str | None = None
    url: str | None = None


class Version(_Frozen):
    """One release of a model type."""

    version: str = Field(description="samzoo's label: v1, v2, v3, v4")
    zoo_version: str | None = Field(None, description="the BioImage.IO Model Zoo version, e.g. '1.2'")
    source: str | None = Field(None, description="DOI or URL of the record that holds this release")
    weights: Weights | None = None
    notes: str | None = None

    @field_validator("version")
    @classmethod
    def _label(cls, v: str) -> str:
        if not re.fullmatch(r"v\d+(\.\d+)*", v):
            raise ValueError(f"version {v!r} must look like 'v1', 'v2', ...")
        return v

    @field_validator("zoo_version")
    @classmethod
    def _zoo(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d+(\.\d+)*", str(v)):
            raise ValueError(f"zoo_version {v!r} must be a dotted number such as '1.2' (quote it in YAML)")
        return None if v is None else str(v)

    @property
    def record_id(self) -> str | None:
        """The Zenodo record number of ``source``, if it is a Zenodo DOI or URL."""
        return zenodo_record(self.source) if self.source else None


class Recommendation(_Frozen):
    """When to recommend this model: a rule of the seed page's "Choosing a Model" as data."""

    role: Role = Field(description="default: the rule of thumb; quality: a bit better, more resources; fast: laptops, many images, volumes")
    targets: tuple[str, ...] = Field(description="what it segments, e.g. cells, nuclei, mitochondria")
    reason: str


class ModelSpec(_Frozen):
    """A model type of the family with all its versions."""

    model_type: str
    encoder: Encoder
    domain: Domain
    status: Status = "current"
    display_name: str
    nickname: str | None = None
    emoji: str | None = None
    description: str
    license: str = "CC-BY-4.0"
    authors: tuple[Person, ...] = ()
    maintainers: tuple[Person, ...] = ()
    citations: tuple[Citation, ...]
    tags: tuple[str, ...] = ()
    git_repo: str | None = "https://github.com/computational-cell-analytics/micro-sam"
    current_version: str
    versions: tuple[Version, ...]
    recommend: Recommendation | None = None
    #: set by the loader, not by the file
    spec_file: str | None = Field(None, exclude=True)

    @field_validator("model_type")
    @classmethod
    def _model_type(cls, v: str) -> str:
        if not _MODEL_TYPE.match(v):
            raise ValueError(f"model_type {v!r} must be lower-case letters, digits and '_', e.g. 'vit_b_lm'")
        return v

    @field_validator("nickname")
    @classmethod
    def _nickname(cls, v: str | None) -> str | None:
        if v is not None and not _NICKNAME.match(v):
            raise ValueError(f"nickname {v!r} must be 'adjective-animal', e.g. 'noisy-ox'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "ModelSpec":
        labels = [v.version for v in self.versions]
        if not labels:
            raise ValueError("versions: list at least one version")
        if len(set(labels)) != len(labels):
            raise ValueError(f"versions: duplicate version labels {labels}")
        if self.current_version not in labels:
            raise ValueError(f"current_version {self.current_version!r} is not one of the versions {labels}")
        if not self.model_type.startswith(self.encoder):
            raise ValueError(f"model_type {self.model_type!r} must start with its encoder {self.encoder!r}")
        if (self.nickname is None) != (self.emoji is None):
            raise ValueError("nickname and emoji go together: give both or neither")
        zoo = [v.zoo_version for v in self.versions if v.zoo_version]
        if len(set(zoo)) != len(zoo):
            raise ValueError(f"versions: duplicate zoo_version in {zoo}")
        if self.status == "current" and self.version(self.current_version).weights is None:
            raise ValueError(f"a current model needs weights (url and hash) for its current version {self.current_version!r}")
        return self

    @property
    def category(self) -> str:
        """The UI category label, derived from the domain."""
        return CATEGORIES[self.domain]

    def version(self, label: str) -> Version:
        for v in self.versions:
            if v.version == label:
                return v
        raise KeyError(label)

    @property
    def current(self) -> Version:
        return self.version(self.current_version)

    @property
    def zoo_id(self) -> str | None:
        return self.nickname

    def summary(self, version: Version | None = None) -> dict[str, Any]:
        """JSON-ready description of this model (and, if given, one version's weight sources)."""
        out: dict[str, Any] = {
            "model_type": self.model_type,
            "encoder": self.encoder,
            "domain": self.domain,
            "category": self.category,
            "status": self.status,
            "display_name": self.display_name,
            "nickname": self.nickname,
            "emoji": self.emoji,
            "description": self.description,
            "current_version": self.current_version,
            "versions": [{"version": v.version, "zoo_version": v.zoo_version, "source": v.source} for v in self.versions],
        }
        if version is not None:
            out["version"] = version.version
            out["zoo_version"] = version.zoo_version
            out["zoo_id"] = f"{self.nickname}/{version.zoo_version}" if self.nickname and version.zoo_version else None
            out["source"] = version.source
            out["record_id"] = version.record_id
            out["weights"] = version.weights.model_dump() if version.weights else None
            out["license"] = self.license
            out["citations"] = [c.model_dump(exclude_none=True) for c in self.citations]
            out["spec_file"] = self.spec_file
        return out


@dataclass(frozen=True)
class ModelRef:
    """A model type at one version: what every name resolves to."""

    spec: ModelSpec
    version: Version

    @property
    def model_type(self) -> str:
        return self.spec.model_type

    @property
    def name(self) -> str:
        """Canonical name, ``model_type@version``."""
        return f"{self.spec.model_type}@{self.version.version}"

    @property
    def is_current(self) -> bool:
        return self.version.version == self.spec.current_version

    @property
    def zoo_id(self) -> str | None:
        if self.spec.nickname and self.version.zoo_version:
            return f"{self.spec.nickname}/{self.version.zoo_version}"
        return None


def zenodo_record(text: str) -> str | None:
    """The Zenodo record number in a DOI or URL (``10.5281/zenodo.123``, ``zenodo.org/records/123``)."""
    m = _ZENODO_RECORD.search(text)
    return (m.group(1) or m.group(2)) if m else None


def builtin_spec_dir() -> Path:
    """``model_specs/`` shipped with samzoo: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "model_specs", here.parents[1] / "model_specs"):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"samzoo's model_specs/ directory is missing next to {here}; reinstall samzoo")


def user_spec_dir() -> Path | None:
    """The user catalog directory: ``SAMZOO_CATALOG``, else ``<user config dir>/samzoo/catalog`` (read now, not at import time)."""
    value = os.environ.get("SAMZOO_CATALOG")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("samzoo")) / "catalog"


def _format_validation_error(path: Path, err: ValidationError) -> str:
    errors = err.errors()
    # a typo'd name shows up twice (unknown field + missing field): report the typo
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        field = str(first["loc"][-1])
        allowed = _allowed_fields(first["loc"])
        close = difflib.get_close_matches(field, allowed, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"allowed fields: {', '.join(allowed)}"
        return f"{path}: field '{loc}' is not allowed; {fix}"
    if first["type"] == "missing":
        return f"{path}: field '{loc}' is missing; add it (see model_specs/README.md)"
    msg = first["msg"].removeprefix("Value error, ")
    return f"{path}: field '{loc}': {msg}"


def _allowed_fields(loc: tuple) -> list[str]:
    """Field names allowed at the (parent of the) failing location, for 'did you mean'."""
    model: Any = ModelSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        ann = field.annotation
        for arg in (ann, *get_args(ann), *(a for g in get_args(ann) for a in get_args(g))):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                model = arg
                break
    return sorted(model.model_fields)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(f"{path}: cannot read spec file ({e.strerror}); check the path and permissions") from None
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}:{where}: invalid YAML ({getattr(e, 'problem', e)}); fix the syntax") from None


class _Shared:
    """Citations and people defined once in ``_shared.yaml``, referenced by key in specs."""

    def __init__(self, path: Path | None) -> None:
        data = _read_yaml(path) if path and path.is_file() else {}
        self.path = path
        self.citations: dict[str, Any] = (data or {}).get("citations", {})
        self.people: dict[str, Any] = (data or {}).get("people", {})

    def expand(self, path: Path, raw: dict[str, Any]) -> dict[str, Any]:
        raw = dict(raw)
        for field, table in (("citations", self.citations), ("authors", self.people), ("maintainers", self.people)):
            items = raw.get(field)
            if not isinstance(items, list):
                continue
            expanded = []
            for item in items:
                if isinstance(item, str):
                    if item not in table:
                        close = difflib.get_close_matches(item, list(table), n=1)
                        fix = f"did you mean '{close[0]}'?" if close else f"define it in {SHARED_FILE} or write it out in full"
                        raise SpecError(f"{path}: field '{field}': unknown key {item!r}; {fix}")
                    expanded.append(table[item])
                else:
                    expanded.append(item)
            raw[field] = expanded
        return raw


def load_spec_file(path: Path, shared: _Shared | None = None) -> ModelSpec:
    """Load and validate one spec file; raise :class:`SpecError` with one line naming file and field."""
    path = Path(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a spec must be a YAML mapping of fields (model_type, encoder, ...)")
    shared = shared or _Shared(builtin_spec_dir() / SHARED_FILE)
    raw = shared.expand(path, raw)
    try:
        spec = ModelSpec.model_validate(raw)
    except ValidationError as e:
        raise SpecError(_format_validation_error(path, e)) from None
    if path.stem != spec.model_type:
        raise SpecError(f"{path}: field 'model_type' is {spec.model_type!r} but the file is named {path.name}; rename one to match")
    return spec.model_copy(update={"spec_file": str(path)})


def dump_spec(spec: ModelSpec) -> str:
    """The YAML text of a spec, in the format of ``model_specs/``."""
    data = spec.model_dump(mode="json", exclude_none=True, exclude={"spec_file"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


_STATUS_ORDER = ("current", "legacy", "specialist")
_ENCODER_ORDER = ("vit_h", "vit_l", "vit_b", "vit_t")  # the seed page's order


def _display_order(spec: ModelSpec) -> tuple:
    return (_STATUS_ORDER.index(spec.status), DOMAINS.index(spec.domain), _ENCODER_ORDER.index(spec.encoder), spec.model_type)


class Catalog:
    """All model specs: the built-in ones plus the user catalog's."""

    def __init__(self, specs: list[ModelSpec]) -> None:
        self.models: dict[str, ModelSpec] = {}
        nicknames: dict[str, str] = {}
        for spec in sorted(specs, key=_display_order):
            if spec.model_type in self.models:
                raise SpecError(
                    f"{spec.spec_file}: model_type {spec.model_type!r} is already defined in "
                    f"{self.models[spec.model_type].spec_file}; choose another name"
                )
            if spec.nickname:
                if spec.nickname in nicknames:
                    raise SpecError(
                        f"{spec.spec_file}: nickname {spec.nickname!r} is already used by {nicknames[spec.nickname]}; nicknames are unique"
                    )
                nicknames[spec.nickname] = spec.model_type
            self.models[spec.model_type] = spec
        self._nicknames = nicknames

    @classmethod
    def load(cls, *extra_dirs: str | Path, include_user: bool = True) -> "Catalog":
        """Load ``model_specs/``, then ``SAMZOO_CATALOG`` (if set) and any ``extra_dirs``."""
        builtin = builtin_spec_dir()
        shared = _Shared(builtin / SHARED_FILE)
        dirs = [builtin]
        user = user_spec_dir() if include_user else None
        if user is not None and user.is_dir():
            dirs.append(user)
        dirs.extend(Path(d) for d in extra_dirs)
        specs = [
            load_spec_file(p, shared)
            for d in dirs
            for p in sorted(Path(d).glob("*.yaml"))
            if not p.name.startswith("_")
        ]
        return cls(specs)

    # --- queries -----------------------------------------------------------------
    def current(self, domain: str | None = None) -> list[ModelSpec]:
        """Current model types (optionally of one domain), in catalog order."""
        return [s for s in self.models.values() if s.status == "current" and (domain is None or s.domain == domain)]

    def all(self, domain: str | None = None) -> list[ModelSpec]:
        return [s for s in self.models.values() if domain is None or s.domain == domain]

    @cached_property
    def _doi_index(self) -> dict[str, ModelRef]:
        index: dict[str, ModelRef] = {}
        for spec in self.models.values():
            for v in spec.versions:
                if v.record_id:
                    index.setdefault(v.record_id, ModelRef(spec, v))
        return index

    def names(self) -> list[str]:
        """Every name :meth:`lookup` accepts (without DOIs)."""
        out: list[str] = []
        for spec in self.models.values():
            out.append(spec.model_type)
            out.extend(f"{spec.model_type}@{v.version}" for v in spec.versions)
            if spec.nickname:
                out.append(spec.nickname)
                out.extend(f"{spec.nickname}/{v.zoo_version}" for v in spec.versions if v.zoo_version)
        return out

    def lookup(self, name: str) -> ModelRef:
        """Resolve any catalog name (see the module docstring) to a :class:`ModelRef`.

        Raises :class:`UnknownModelError` (with close matches) for unknown names.
        """
        text = str(name).strip()
        record = zenodo_record(text) if ("zenodo" in text.lower() or text.lower().startswith(("doi:", "10."))) else None
        if record is not None and record in self._doi_index:
            return self._doi_index[record]
        base, sep, tag = text.partition("@")
        if not sep:
            base, sep, tag = text.partition("/")
        spec = self.models.get(base)
        if spec is None and base in self._nicknames:
            spec = self.models[self._nicknames[base]]
        if spec is not None:
            if not sep:
                return ModelRef(spec, spec.current)
            for v in spec.versions:
                if tag in (v.version, v.zoo_version):
                    return ModelRef(spec, v)
        raise UnknownModelError(text, self.suggest(text))

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Close names; when nothing is close, the most similar model types and nicknames."""
        close = difflib.get_close_matches(name, self.names(), n=n, cutoff=0.5)
        if close:
            return close
        plain = [*self.models, *self._nicknames]
        return difflib.get_close_matches(name, plain, n=3, cutoff=0.0)

    def find_by_weights_hash(self, digest: str) -> ModelRef | None:
        """The published version whose encoder weights hash to ``digest`` (``alg:hex``), if any."""
        for spec in self.models.values():
            for v in spec.versions:
                if v.weights is not None and v.weights.encoder.hash == digest:
                    return ModelRef(spec, v)
        return None


def load_catalog(*extra_dirs: str | Path, include_user: bool = True) -> Catalog:
    """Load the catalog (built-in specs, ``SAMZOO_CATALOG``, ``extra_dirs``)."""
    return Catalog.load(*extra_dirs, include_user=include_user)
