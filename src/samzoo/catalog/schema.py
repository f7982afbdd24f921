"""The spec schema: one model type and its versions, as frozen pydantic models.

Every field is validated with unknown fields forbidden. ``ModelRef`` (a model type at one
version) is what every catalog name resolves to, and the one place a zoo id
(``nickname/zoo_version``) is formed. Imports no samzoo module except ``hashing``
and ``catalog.versions``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..plumbing.hashing import parse_hash
from .versions import version_key
from .vocabulary import CATEGORIES, Domain, Encoder, Role, Status


_NICKNAME = re.compile(r"^[a-z]+-[a-z]+$")
#: a model type (``vit_t_mylab``): a lower-case letter, then lower-case letters, digits and ``_``
MODEL_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
_ZENODO_RECORD = re.compile(r"zenodo\.(?:org/records?/|)(\d+)|zenodo\.(\d+)", re.IGNORECASE)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightFile(_Frozen):
    """One published weight file: where it is and what it hashes to."""

    url: str = Field(description="https:// URL (or file:// path for a local user catalog)")
    hash: str = Field(description="'<algorithm>:<hex>', e.g. 'xxh128:fe92...' or 'sha256:...'")
    filename: str | None = Field(None, description="file name to store it under; defaults to the URL's")
    size: int | None = Field(None, ge=0, description="size in bytes, when recorded (`samzoo check-published` compares it)")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://", "file://")):
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
        if v is None:
            return None
        try:
            version_key(str(v))
        except ValueError:
            raise ValueError(f"zoo_version {v!r} must be a dotted number such as '1.2' (quote it in YAML)") from None
        return str(v)

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
        if not MODEL_TYPE.match(v):
            raise ValueError(f"model_type {v!r} must be lower-case letters, digits and '_', e.g. 'vit_b_lm'")
        return v

    @field_validator("nickname")
    @classmethod
    def _nickname(cls, v: str | None) -> str | None:
        if v is not None and not is_zoo_nickname(v):
            raise ValueError(f"nickname {v!r} must be 'adjective-animal', e.g. 'noisy-ox'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        labels = [v.version for v in self.versions]
        if not labels:
            raise ValueError("versions: list at least one version")
        if len(set(labels)) != len(labels):
            raise ValueError(f"versions: duplicate version labels {labels}")
        if self.current_version not in labels:
            raise ValueError(f"current_version {self.current_version!r} is not one of the versions {labels}")
        if not self.model_type.startswith(self.encoder):
            raise ValueError(f"model_type {self.model_type!r} must start with its encoder {self.encoder!r}")
        if self.emoji is not None and self.nickname is None:  # a nickname alone: a zoo id assigned at upload, emoji unknown
            raise ValueError("an emoji needs a nickname: give both, or neither")
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
    def zoo_id(self) -> str | None:
        """``nickname/zoo_version`` (e.g. ``noisy-ox/1.2``), when the model has a nickname and this version a zoo version."""
        return zoo_id(self.spec.nickname, self.version.zoo_version)


def zoo_id(nickname: str | None, zoo_version: str | None) -> str | None:
    """The zoo id ``nickname/zoo_version`` of a (possibly unpublished) version, or None without both parts."""
    return f"{nickname}/{zoo_version}" if nickname and zoo_version else None


def zenodo_record(text: str) -> str | None:
    """The Zenodo record number in a DOI or URL (``10.5281/zenodo.123``, ``zenodo.org/records/123``)."""
    m = _ZENODO_RECORD.search(text)
    return (m.group(1) or m.group(2)) if m else None


def is_zoo_nickname(text: str) -> bool:
    """Whether ``text`` is a zoo nickname, ``adjective-animal`` in lower case (``noisy-ox``)."""
    return bool(_NICKNAME.match(text))


def is_single_emoji(text: str) -> bool:
    """Whether ``text`` is one emoji (a zoo ``id_emoji``), variation selectors, joiners and skin tones allowed."""
    chars = [c for c in text if c not in "\ufe0f\u200d" and not ("\U0001f3fb" <= c <= "\U0001f3ff")]
    return len(chars) >= 1 and len(text) <= 8 and all(unicodedata.category(c) == "So" for c in chars) and len(chars) <= 4
