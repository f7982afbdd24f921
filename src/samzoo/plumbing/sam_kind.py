"""Is this a SAM package, and which kind: ``interactive`` (prompts to masks), ``automatic`` (image to labels), or neither.

Read from the rdf alone, so that checks which only make sense for SAM packages can say "not
applicable" for any other zoo package before loading its model.

* interactive: micro-sam's layout, an ``image`` input and a ``masks`` output (what samzoo and
  micro-sam 1.8.14's ``export_sam_model`` write);
* automatic: one integer label output (:func:`label_output`) of a SAM package: samzoo's
  ``config.samzoo.mode: automatic``, or the tags ``automatic-instance-segmentation`` / ``segment-anything``.
"""

from __future__ import annotations

from typing import Any, Literal

SamKind = Literal["interactive", "automatic"]
NOT_SAM = "not a SAM package (needs an 'image' input and a 'masks' output)"
_INTEGER_TYPES = {"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"}


def label_output(rdf: dict[str, Any]) -> str | None:
    """The id of the label output when the package's only output is an integer label image, else None."""
    outputs = rdf.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != 1 or not isinstance(outputs[0], dict):
        return None
    data = outputs[0].get("data")
    dtype = data.get("type") if isinstance(data, dict) else None
    return str(outputs[0].get("id")) if dtype in _INTEGER_TYPES else None


def _ids(rdf: dict[str, Any], key: str) -> set[str]:
    items = rdf.get(key)
    return {str(t.get("id") or t.get("name")) for t in items if isinstance(t, dict)} if isinstance(items, list) else set()


def is_interactive(input_ids: Any, output_ids: Any) -> bool:
    """Whether tensors with these ids follow micro-sam's interactive layout (``image`` in, ``masks`` out)."""
    return "image" in set(input_ids) and "masks" in set(output_ids)


def sam_kind(rdf: dict[str, Any]) -> SamKind | None:
    """``"interactive"``, ``"automatic"`` or None (not a SAM package) for an rdf read as a dict."""
    if not isinstance(rdf, dict):
        return None
    if is_interactive(_ids(rdf, "inputs"), _ids(rdf, "outputs")):
        return "interactive"
    if label_output(rdf) is None:
        return None
    config = rdf.get("config") if isinstance(rdf.get("config"), dict) else {}
    samzoo = config.get("samzoo") if isinstance(config.get("samzoo"), dict) else {}
    tags = {str(t) for t in rdf.get("tags") or () if isinstance(t, (str, int, float))} if isinstance(rdf.get("tags"), list) else set()
    if samzoo.get("mode") == "automatic" or tags & {"automatic-instance-segmentation", "segment-anything"}:
        return "automatic"
    return None
