"""The sections of a diff as plain lines, shared by the text and Markdown renderers."""

from __future__ import annotations

import json
from typing import Any

from .diff_result import PackageDiff

MAX_VALUE = 80


def short(value: Any) -> str:
    """A field value on one line, cut to ``MAX_VALUE`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def size(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} B"


def summary(d: PackageDiff) -> str:
    if d.identical:
        return "no change: the packages are the same"
    parts = [f"{len(d.metadata)} rdf fields", f"{len(d.files)} files"]
    parts.append("weights changed" if d.weights.changed else f"weights {d.weights.status}")
    b = d.behaviour
    parts.append("behaviour changed" if b.differs else ("behaviour unchanged" if b.status == "compared" else f"behaviour {b.status}"))
    return "; ".join(parts)


def metadata_lines(d: PackageDiff) -> list[str]:
    return [f"{c.path}: {short(c.old) if c.status != 'added' else '(none)'} -> {short(c.new) if c.status != 'removed' else '(none)'}"
            for c in d.metadata]


def file_lines(d: PackageDiff) -> list[str]:
    out = []
    for f in d.files:
        old, new = f.old, f.new
        detail = {"added": f"{size(new and new.size)}", "removed": f"{size(old and old.size)}",
                  "changed": f"{size(old and old.size)} -> {size(new and new.size)}, sha256 {old and old.sha256[:12]}… -> {new and new.sha256[:12]}…"}[f.status]
        out.append(f"{f.status:8} {f.path} ({detail})")
    return out


def weight_lines(d: PackageDiff) -> list[str]:
    w = d.weights
    if w.status != "compared":
        return [f"{w.status}: {w.note}"]
    out = [f"keys added: {len(w.added)}, removed: {len(w.removed)}, shape changes: {len(w.reshaped)}"]
    out += [f"  + {k}" for k in w.added[:10]] + [f"  - {k}" for k in w.removed[:10]]
    out += [f"  ~ {k}: {list(a)} -> {list(b)}" for k, a, b in w.reshaped[:10]]
    for m in w.modules:
        out.append(f"{m.module}: {m.changed} of {m.tensors} tensors changed, relative L2 change {m.rel_l2:.3g}")
        out += [f"  {t.key}: {t.rel_l2:.3g}" for t in m.largest]
    return out


def behaviour_lines(d: PackageDiff) -> list[str]:
    b = d.behaviour
    if b.status != "compared":
        return [f"{b.status}: {b.note}"]
    out = []
    for r in b.inputs:
        head = f"{r.name}: {'DIFFERS' if r.differs else 'same'}"
        if r.embeddings_cosine is not None:
            head += f"; embeddings cosine {r.embeddings_cosine:.6f}"
        if r.ari is not None:
            head += f"; ARI {r.ari:.4f}, objects {r.objects_a} -> {r.objects_b}"
        out.append(head + (f" ({r.note})" if r.note else ""))
        for o in r.objects:
            score = f", score {o.score_a:.4g} -> {o.score_b:.4g}" if o.score_a is not None and o.score_b is not None else ""
            out.append(f"  object {o.index}: IoU {o.iou:.4f}{score}")
    return out


def sections(d: PackageDiff) -> list[tuple[str, list[str]]]:
    """(title, lines) for each section, in order."""
    return [("metadata", metadata_lines(d)), ("files", file_lines(d)), ("weights", weight_lines(d)), ("behaviour", behaviour_lines(d))]
