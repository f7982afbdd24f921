"""``zoo``: what the BioImage.IO Model Zoo's reviewers ask of an upload, beyond the format.

Hard requirements (failed): license, citations, documentation, at least one
cover, authors or maintainers with real names (no placeholder such as
``unknown``), a well-formed id (``adjective-animal``) and a
single-emoji ``id_emoji`` when they are given. Guidance (warning): covers
under 500 KB with aspect 1:1 or 2:1, a "Validation" section in the
documentation, an id, emoji and version (the zoo assigns the id at upload).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...catalog.people import is_placeholder
from ...plumbing.untrusted import InputLimitError, read_bytes_bounded
from ..result import CheckResult
from ..check_spec import Check, PackageContext

DOC_MAX_BYTES = 4 * 1024 * 1024

COVER_MAX_BYTES = 500 * 1024
COVER_ASPECTS = (1.0, 2.0)
_VALIDATION_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*.*\bvalidation\b", re.IGNORECASE | re.MULTILINE)


def placeholder_people(rdf: dict[str, Any]) -> list[str]:
    """``authors[i]`` / ``maintainers[i]`` entries whose name is a placeholder (``unknown``, ``TODO``, ...)."""
    found = []
    for field in ("authors", "maintainers"):
        people = rdf.get(field) or []
        for i, person in enumerate(people if isinstance(people, list) else []):
            name = person.get("name") if isinstance(person, dict) else person
            if name is None and isinstance(person, dict) and field == "maintainers" and person.get("github_user"):
                continue  # a maintainer may be given by GitHub account alone
            if is_placeholder(name):
                found.append(f"{field}[{i}] is {name!r}")
    return found


def _image_size(path: Path) -> tuple[int, int] | None:
    try:
        import imageio.v3 as iio

        props = iio.improps(path)
        shape = props.shape
        return int(shape[1]), int(shape[0])  # width, height
    except Exception:
        return None


def _cover_problems(covers: list, root: Path) -> list[str]:
    notes = []
    for c in covers:
        src = c.get("source") if isinstance(c, dict) else c
        if not isinstance(src, str) or "://" in src:
            continue
        path = root / src
        if not path.is_file():
            continue  # reported by the files check
        size = path.stat().st_size
        if size > COVER_MAX_BYTES:
            notes.append(f"cover {src} is {size // 1024} KB (guidance: < 500 KB)")
        wh = _image_size(path)
        if wh is None:
            notes.append(f"cover {src} is not a readable image")
            continue
        ratio = wh[0] / wh[1] if wh[1] else 0
        if not any(abs(ratio - a) / a <= 0.05 for a in COVER_ASPECTS):
            notes.append(f"cover {src} is {wh[0]}x{wh[1]} (aspect {ratio:.2f}; guidance: 1:1 or 2:1)")
    return notes


def _documentation_notes(path: Path) -> list[str]:
    try:
        text = read_bytes_bounded(path, DOC_MAX_BYTES, "documentation").decode("utf-8", errors="replace")
    except InputLimitError as e:
        return [str(e)]
    if not _VALIDATION_HEADING.search(text):
        return ["documentation has no 'Validation' section (how the model was validated)"]
    return []


def check_zoo(rdf: dict[str, Any], root: Path) -> CheckResult:
    """The zoo's acceptance criteria on the raw rdf and the package's files."""
    from ...catalog import is_single_emoji, is_zoo_nickname  # imported when the check runs (not in the model worker)

    failed: list[str] = []
    warned: list[str] = []
    if not rdf.get("license"):
        failed.append("no license (e.g. license: CC-BY-4.0)")
    if not rdf.get("cite"):
        failed.append("no citations (cite: [{text, doi}])")
    if not (rdf.get("authors") or rdf.get("maintainers")):
        failed.append("no authors or maintainers")
    placeholders = placeholder_people(rdf)
    if placeholders:
        failed.append(f"{', '.join(placeholders)}: a placeholder, not a person; name the real authors")
    doc = rdf.get("documentation")
    doc_src = doc.get("source") if isinstance(doc, dict) else doc
    if not doc_src:
        failed.append("no documentation")
    elif not isinstance(doc_src, str):
        failed.append(f"documentation is a {type(doc_src).__name__}, not a file name")
    elif "://" not in doc_src and (root / doc_src).is_file():
        warned.extend(_documentation_notes(root / doc_src))
    covers = rdf.get("covers") or []
    if not covers:
        failed.append("no cover image")
    elif not isinstance(covers, list):
        failed.append(f"covers is a {type(covers).__name__}, not a list of images")
    else:
        warned.extend(_cover_problems(covers, root))
    model_id = rdf.get("id")
    if model_id is None:
        warned.append("no id (the zoo assigns one at upload)")
    elif not is_zoo_nickname(str(model_id)):
        failed.append(f"id {model_id!r} is not 'adjective-animal' (lower case, e.g. 'noisy-ox')")
    emoji = rdf.get("id_emoji")
    if emoji is None:
        if model_id is not None:
            warned.append("no id_emoji")
    elif not is_single_emoji(str(emoji)):
        failed.append(f"id_emoji {emoji!r} is not a single emoji (e.g. 🐂)")
    if rdf.get("version") is None:
        warned.append("no version (e.g. version: 1.2)")
    if failed:
        return CheckResult("zoo", "failed", "; ".join(failed + warned))
    if warned:
        return CheckResult("zoo", "warning", "; ".join(warned))
    return CheckResult("zoo", "passed", "license, citations, documentation, covers, authors, id, emoji and version in order")


def run(ctx: PackageContext) -> CheckResult:
    return check_zoo(ctx.rdf, ctx.package.root)


CHECK = Check("zoo", "any model", "rdf", run)
