"""BibTeX entries from the catalog's citations (``"Kirillov et al. Segment Anything. ICCV 2023."`` + DOI + URL)."""

from __future__ import annotations

import re

_YEAR = re.compile(r"\b(19|20)\d\d\b")


def _escape(text: str, verbatim: bool = False) -> str:
    """Text safe inside ``{...}`` of a BibTeX field: braces and backslashes dropped; LaTeX specials escaped
    unless ``verbatim`` (a DOI or URL, which BibTeX styles print as they are)."""
    text = " ".join(text.split()).replace("\\", "").replace("{", "").replace("}", "")
    return text if verbatim else re.sub(r"([&%$#_])", r"\\\1", text)


def _parts(text: str) -> tuple[str, str, str]:
    """(authors, title, venue) of ``"Authors. Title. Venue Year."``; the whole text as title when it does not split."""
    pieces = [p.strip() for p in re.split(r"(?<=[a-z\)])\.\s+", text.strip().rstrip(".")) if p.strip()]
    if len(pieces) >= 3:
        return pieces[0], ". ".join(pieces[1:-1]), pieces[-1]
    if len(pieces) == 2:
        return pieces[0], pieces[1], ""
    return "", text.strip(), ""


def citation_key(text: str, taken: set[str]) -> str:
    """``kirillov2023segment``: first author's surname, year, first title word; made unique against ``taken``."""
    authors, title, venue = _parts(text)
    surname = re.sub(r"[^a-z]", "", (authors.split() or ["ref"])[0].lower()) or "ref"
    year = _YEAR.search(venue) or _YEAR.search(text)
    word = next((re.sub(r"[^a-z]", "", w.lower()) for w in title.split() if len(w) > 3), "")
    key = f"{surname}{year.group(0) if year else ''}{word}"
    unique, n = key, 2
    while unique in taken:
        unique, n = f"{key}{chr(ord('a') + n - 2)}", n + 1
    taken.add(unique)
    return unique


def bibtex(text: str, doi: str | None, url: str | None, key: str) -> str:
    """One ``@misc`` entry: author, title, how published, year, DOI and URL where known."""
    authors, title, venue = _parts(text)
    year = _YEAR.search(venue) or _YEAR.search(text)
    author = authors.replace(" et al", " and others") if authors else ""
    fields = [("author", author), ("title", title), ("howpublished", venue), ("year", year.group(0) if year else ""),
              ("doi", doi or ""), ("url", url or (f"https://doi.org/{doi}" if doi else ""))]
    body = ",\n".join(f"  {name} = {{{_escape(value, name in ('doi', 'url'))}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}"
