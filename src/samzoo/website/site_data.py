"""What the model-card site shows, as frozen dataclasses: one :class:`ModelPage` per model, the index matrix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckRow:
    """One check of a validation report (a samzoo check, or a detail of a bioimageio summary)."""

    name: str
    status: str
    message: str


@dataclass(frozen=True)
class CoreRow:
    """The zoo's test under one ``bioimageio.core`` release."""

    core: str
    status: str
    message: str


@dataclass(frozen=True)
class Validation:
    """The validation of one package as a report tells it (``origin``: the report's file name)."""

    status: str
    origin: str
    quick: bool = False
    checks: tuple[CheckRow, ...] = ()
    cores: tuple[CoreRow, ...] = ()

    @property
    def partner_gates(self) -> str | None:
        """The partner tools' static gates (deepImageJ, ilastik, BiaPy), when the report has the check."""
        found = next((c.message for c in self.checks if c.name == "partner_gates"), None)
        return found.removeprefix("informational: ") if found else None


@dataclass(frozen=True)
class WeightFormat:
    """One weight format a package ships, with its file's sha256 (from the package's rdf)."""

    name: str
    sha256: str | None


@dataclass(frozen=True)
class PackageRow:
    """One built package of a model: what the folder of packages and its reports say about it."""

    file: str
    href: str
    model_type: str
    zoo_id: str | None
    version: str | None
    mode: str
    sha256: str | None
    size: int
    formats: tuple[WeightFormat, ...]
    build_status: str | None
    validation: Validation | None
    cover: str | None = None  # the cover's path inside the site, once written

    @property
    def badge(self) -> str:
        """passed / failed (validated), built (not validated), error."""
        if self.validation is not None:
            return self.validation.status
        return self.build_status if self.build_status in ("passed", "failed", "error") else "built"


@dataclass(frozen=True)
class WeightLink:
    """A published weight file of a catalog version: where to download it and its recorded hash."""

    part: str
    url: str
    hash: str


@dataclass(frozen=True)
class VersionRow:
    """One version of a model type (catalog), with the packages built of it."""

    label: str
    zoo_id: str | None
    current: bool
    source: str | None
    doi: str | None
    notes: str | None
    weights: tuple[WeightLink, ...]


@dataclass(frozen=True)
class Rule:
    """A "Choosing a model" rule of the model's domain."""

    role: str
    model_type: str
    targets: tuple[str, ...]
    reason: str
    this: bool


@dataclass(frozen=True)
class CitationEntry:
    text: str
    doi: str | None
    url: str | None
    bibtex: str


@dataclass(frozen=True)
class Snippet:
    """A usage example: a title, the language of its code, the code."""

    title: str
    language: str
    code: str


@dataclass(frozen=True)
class ModelPage:
    """One model's page (and its card on the index)."""

    slug: str
    model_type: str
    display_name: str
    nickname: str | None
    emoji: str | None
    encoder: str
    domain: str
    category: str
    status: str
    description: str
    license: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    modes: tuple[str, ...]
    rules: tuple[Rule, ...]
    versions: tuple[VersionRow, ...]
    packages: tuple[PackageRow, ...]
    citations: tuple[CitationEntry, ...]
    snippets: tuple[Snippet, ...]
    zoo_url: str | None
    in_catalog: bool = True

    @property
    def cover(self) -> str | None:
        """The site path of the newest package's cover, if any package has one."""
        return next((p.cover for p in self.packages if p.cover), None)

    @property
    def badge(self) -> str:
        """The latest validation: the newest package's status, or ``catalog`` without a package."""
        return self.packages[0].badge if self.packages else "catalog"

    @property
    def search_text(self) -> str:
        """What the index's filter matches (lower case)."""
        words = (self.model_type, self.display_name, self.nickname or "", self.encoder, self.domain, self.category,
                 self.status, *self.modes, *self.tags, self.badge)
        return " ".join(w for w in words if w).lower()


@dataclass(frozen=True)
class MatrixRow:
    """One domain of the index: per encoder, the models of that domain and encoder."""

    domain: str
    category: str
    cells: tuple[tuple[ModelPage, ...], ...]


@dataclass(frozen=True)
class Site:
    """Everything the site shows."""

    models: tuple[ModelPage, ...]
    encoders: tuple[str, ...]
    matrix: tuple[MatrixRow, ...]
    packages_source: str | None = None

    @property
    def packages(self) -> tuple[PackageRow, ...]:
        return tuple(p for m in self.models for p in m.packages)
