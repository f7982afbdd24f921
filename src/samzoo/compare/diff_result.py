"""The result of ``samzoo diff``: frozen, with a JSON form and the one question ``--exit-code`` asks."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .behaviour_changes import BehaviourDiff
from .file_changes import FileChange
from .metadata_changes import FieldChange
from .weight_changes import WeightsDiff


@dataclass(frozen=True)
class PackageDiff:
    """What B changes against A: kinds, rdf fields, files, weights and behaviour."""

    a: str
    b: str
    kind_a: str | None
    kind_b: str | None
    metadata: tuple[FieldChange, ...]
    files: tuple[FileChange, ...]
    weights: WeightsDiff
    behaviour: BehaviourDiff
    notes: tuple[str, ...] = ()

    @property
    def identical(self) -> bool:
        return not (self.metadata or self.files or self.weights.changed or self.behaviour.differs)

    @property
    def differs_in_behaviour(self) -> bool:
        """What ``--exit-code`` asks: the models give different outputs, or are of different kinds; when the models
        were not run (``--static``, not SAM packages), changed weights count as a change of behaviour."""
        if self.behaviour.status != "compared" and self.weights.changed:
            return True
        return self.behaviour.differs or self.kind_a != self.kind_b

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (pictures left out; infinities as strings)."""
        data = _plain(dataclasses.asdict(self))
        for item in data["behaviour"]["inputs"]:
            item.pop("pictures", None)
        data["identical"] = self.identical
        data["differs_in_behaviour"] = self.differs_in_behaviour
        return data


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj
