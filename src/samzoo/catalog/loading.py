"""Reading spec files: YAML, shared citations and people, one-line errors, the spec directories.

Specs live in ``model_specs/`` (shipped with samzoo) and, optionally, in a user catalog
directory (``SAMZOO_CATALOG``, read at call time). Shared citations and people are defined
once in ``model_specs/_shared.yaml`` and referenced by key. A malformed spec fails with one
line naming the file, the field and the fix.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from ..plumbing.errors import SpecError
from ..plumbing.untrusted import InputLimitError, parse_yaml, read_text_bounded
from .schema import ModelSpec

SHARED_FILE = "_shared.yaml"


def is_builtin(spec) -> bool:
    """Whether ``spec`` is one of samzoo's own (published family), not a user catalog's."""
    return spec.spec_file is not None and Path(spec.spec_file).resolve().parent == builtin_spec_dir().resolve()


def builtin_spec_dir() -> Path:
    """``model_specs/`` shipped with samzoo: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parents[1]  # the samzoo package
    for candidate in (here / "model_specs", here.parents[1] / "model_specs"):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"samzoo's model_specs/ directory is missing next to {here}; reinstall samzoo")


def user_spec_dir() -> Path:
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
    try:  # an untrusted file: bounded size, UTF-8, aliases expanded within a cap (samzoo.plumbing.untrusted)
        return parse_yaml(read_text_bounded(path, what="spec file"), str(path), "spec file")
    except InputLimitError as e:
        raise SpecError(str(e)) from None
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
            if isinstance(items, list):
                raw[field] = [self._entry(path, field, table, item) for item in items]
        return raw

    @staticmethod
    def _entry(path: Path, field: str, table: dict[str, Any], item: Any) -> Any:
        if not isinstance(item, str):
            return item
        if item not in table:
            close = difflib.get_close_matches(item, list(table), n=1)
            fix = f"did you mean '{close[0]}'?" if close else f"define it in {SHARED_FILE} or write it out in full"
            raise SpecError(f"{path}: field '{field}': unknown key {item!r}; {fix}")
        return table[item]


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


def load_specs(*extra_dirs: str | Path, include_user: bool = True) -> list[ModelSpec]:
    """Every spec of ``model_specs/``, then of the user catalog (if it exists) and of ``extra_dirs``."""
    builtin = builtin_spec_dir()
    shared = _Shared(builtin / SHARED_FILE)
    dirs = [builtin]
    user = user_spec_dir() if include_user else None
    if user is not None and user.is_dir():
        dirs.append(user)
    elif user is not None and user.exists():
        raise SpecError(f"{user}: the user catalog (SAMZOO_CATALOG) is not a folder; point SAMZOO_CATALOG at a folder of specs")
    dirs.extend(Path(d) for d in extra_dirs)
    return [
        load_spec_file(p, shared)
        for d in dirs
        for p in sorted(Path(d).glob("*.yaml"))
        if not p.name.startswith("_")
    ]
