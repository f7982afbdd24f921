"""``format``: the rdf is valid for ``bioimageio.spec``.

bioimageio.spec runs with io checks off, so it never touches the network
(offline its id-map and GitHub-user look-ups fail or hang); the io checks it
would do on local files (presence, sha256) are done by ``files``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ...plumbing.errors import one_line
from ...plumbing.untrusted import InputLimitError, parse_yaml, read_text_bounded
from ..check_spec import Check, PackageContext
from ..result import CheckResult


def read_rdf(rdf: Path) -> tuple[dict[str, Any] | None, CheckResult | None]:
    """The rdf as a dict, or a failed ``format`` check saying why it cannot be read."""
    try:
        data = parse_yaml(read_text_bounded(rdf, what="rdf"), rdf.name, "rdf")
    except InputLimitError as e:
        return None, CheckResult("format", "failed", one_line(e, 300))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        return None, CheckResult("format", "failed", f"{rdf.name}:{where} invalid YAML ({getattr(e, 'problem', None) or one_line(e, 120)}); fix the syntax")
    except (OSError, UnicodeDecodeError) as e:
        return None, CheckResult("format", "failed", f"{rdf.name}: cannot read it ({one_line(e, 120)})")
    if not isinstance(data, dict):
        return None, CheckResult("format", "failed", f"{rdf.name}: not a YAML mapping of fields; is it an rdf.yaml?")
    return data, None



def describe(rdf: Path, raw: dict[str, Any]) -> Any:
    """bioimageio.spec's description of the rdf at ``rdf``, made from its fields ``raw`` as read (no network)."""
    from copy import deepcopy

    from bioimageio.spec import ValidationContext, build_description

    with ValidationContext(root=rdf.parent, file_name=rdf.name, perform_io_checks=False, raise_errors=False):
        return build_description(deepcopy(raw))


def check_format(rdf: Path, raw: dict[str, Any]) -> tuple[Any, CheckResult]:
    """Validate ``raw``, the fields of the rdf at ``rdf``, with bioimageio.spec (no network).

    Returns (the description or None, the check)."""
    from bioimageio.spec import InvalidDescr

    try:
        descr = describe(rdf, raw)
    except Exception as e:  # bioimageio raises on some malformed input instead of returning InvalidDescr
        return None, CheckResult("format", "failed", f"bioimageio.spec could not read the rdf: {one_line(e, 200)}")
    summary = descr.validation_summary
    if isinstance(descr, InvalidDescr) or summary.status == "failed":
        errors = [e for d in summary.details for e in d.errors]
        first = errors[0] if errors else None
        where = ".".join(str(p) for p in first.loc) if first and first.loc else "rdf"
        msg = f"{where}: {one_line(first.msg, 200)}" if first else "invalid description"
        more = f" (+{len(errors) - 1} more errors)" if len(errors) > 1 else ""
        return None, CheckResult("format", "failed", f"bioimageio.spec: {msg}{more}")
    if getattr(descr, "type", None) != "model":
        return None, CheckResult("format", "failed", f"the rdf describes a {descr.type!r}, not a model")
    warnings = tuple(
        f"{'.'.join(map(str, w.loc)) or 'rdf'}: {one_line(w.msg, 200)}" for d in summary.details for w in d.warnings
    )
    fv = getattr(descr, "format_version", "?")
    declared = str(raw.get("format_version") or fv)
    fmt = f"format {declared}, read as {fv}" if declared != str(fv) else f"format {fv}"
    return descr, CheckResult(
        "format", "passed", f"valid model description ({fmt}; {len(warnings)} warnings from bioimageio.spec)",
        details=warnings,
    )


def run(ctx: PackageContext) -> CheckResult:
    """The rdf's error (see ``source``, which reads it), or bioimageio.spec's verdict on it."""
    if ctx.rdf is None:
        return ctx.rdf_error or CheckResult("format", "failed", "the rdf could not be read")
    ctx.descr, result = check_format(ctx.package.rdf, ctx.rdf)
    return result


CHECK = Check("format", "any model", "package", run)
