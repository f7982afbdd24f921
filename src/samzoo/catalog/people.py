"""Who a model names: ``"NAME @GITHUB_USER"`` parsed, placeholders and maintainers without a GitHub user refused.

One list of placeholder names serves ``samzoo catalog add``, ``samzoo build`` (a hand-written spec) and the
validator's zoo check, so a name accepted at the start is not failed at the end.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..plumbing.errors import ArgumentError, SpecError

if TYPE_CHECKING:
    from .schema import ModelSpec

#: names that stand for "nobody yet" (compared lower-case, spaces collapsed, dots trimmed)
PLACEHOLDER_NAMES = frozenset({
    "", "unknown", "n/a", "na", "none", "null", "todo", "tbd", "tba", "anonymous", "anon", "author", "authors",
    "maintainer", "name", "your name", "firstname lastname", "first last", "xxx", "-", "?",
})

#: a GitHub user name: letters, digits and single hyphens, at most 39 characters
_GITHUB_USER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")

_FORM = 'write a person\'s name, e.g. "Jane Doe" or "Jane Doe @janedoe" (NAME @GITHUB_USER)'


def is_placeholder(name: object) -> bool:
    """``name`` stands for nobody (``unknown``, ``TODO``, empty, ...)."""
    return " ".join(str(name or "").lower().split()).strip(" .") in PLACEHOLDER_NAMES


def person(text: str) -> dict[str, str]:
    """``"Jane Doe @janedoe"`` -> ``{name: Jane Doe, github_user: janedoe}``; ``"Jane Doe"`` -> ``{name: Jane Doe}``."""
    words = str(text).split()
    if len(words) > 1 and words[-1].startswith("@"):
        return {"name": " ".join(words[:-1]), "github_user": words[-1][1:]}
    if len(words) == 1 and words[0].startswith("@"):
        return {"name": words[0][1:], "github_user": words[0][1:]}
    return {"name": " ".join(words)}


def checked_person(text: str, argument: str) -> dict[str, str]:
    """:func:`person`, refusing (:class:`ArgumentError`) a placeholder, a malformed GitHub user, and a maintainer
    without one (BioImage.IO format 0.5 identifies maintainers by GitHub user)."""
    p = person(text)
    if is_placeholder(p["name"]):
        what = "is empty" if not str(text).strip() else "is a placeholder, not a person (the zoo check fails it)"
        raise ArgumentError(argument, f"{str(text)!r} {what}; {_FORM}")
    user = p.get("github_user")
    if user is not None and not _GITHUB_USER.match(user):
        raise ArgumentError(argument, f"{str(text)!r}: {'@' + user!r} is not a GitHub user name (letters, digits, "
                                      f"single hyphens); {_FORM}")
    if argument == "maintainers" and user is None:
        raise ArgumentError(argument, f"{str(text)!r} has no GitHub user, and a BioImage.IO maintainer needs one; "
                                      f"write \"{p['name']} @GITHUB_USER\" (or name them as an author)")
    return p


def check_people(spec: ModelSpec) -> None:
    """Refuse (:class:`SpecError`, exit 2) a spec naming a placeholder author or maintainer: its package would fail the zoo check."""
    for field in ("authors", "maintainers"):
        for i, p in enumerate(getattr(spec, field)):
            if is_placeholder(p.name) and not (field == "maintainers" and p.github_user):
                where = spec.spec_file or f"the catalog spec of {spec.model_type}"
                raise SpecError(f"{where}: {field}[{i}] is {p.name!r}, a placeholder, not a person (the zoo check fails it); "
                                f"{_FORM}")
