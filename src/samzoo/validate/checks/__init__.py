"""The checks, one module each, named as in reports; :data:`CHECKS` runs and reports them in this order.

Adding a check: a module here declaring ``CHECK`` (:class:`~samzoo.validate.check_spec.Check`), and one line below.
"""

from __future__ import annotations

from ..check_spec import Check
from . import (ais, encoder, environment, files, format, identity, inference, partner_gates, sam_image_only,
               sam_prompts, size_probes, source, weight_formats, zoo)

CHECKS: tuple[Check, ...] = (
    source.CHECK,
    format.CHECK,
    files.CHECK,
    zoo.CHECK,
    identity.CHECK,
    environment.CHECK,
    partner_gates.CHECK,
    inference.CHECK,
    weight_formats.CHECK,
    size_probes.CHECK,
    ais.CHECK,
    sam_prompts.CHECK,
    sam_image_only.CHECK,
    encoder.CHECK,
)
#: every check, in the order it runs and is reported
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
#: the checks that run the package's model (in this process or the model worker, :mod:`..model_worker`)
MODEL_CHECKS: tuple[Check, ...] = tuple(c for c in CHECKS if c.needs == "loaded model")
MODEL_CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in MODEL_CHECKS)
