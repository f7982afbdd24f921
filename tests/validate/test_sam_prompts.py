"""``sam_prompts``: the rules on SAM outputs, on real arrays."""

from __future__ import annotations


import numpy as np

from samzoo.validate.sam_outputs import output_problems


def test_output_rules_on_real_arrays():
    masks = np.zeros((1, 2, 1, 8, 8), dtype="uint8")
    ok, warn = output_problems({"masks": masks, "scores": np.array([[[0.5], [0.9]]], "float32")}, (8, 8), 2)
    assert ok == [] and warn == []
    bad, _ = output_problems({"masks": masks + 3, "scores": np.array([[[np.nan], [0.9]]], "float32")}, (8, 8), 3)
    assert any("not binary" in b for b in bad) and any("NaN" in b for b in bad) and any("3 prompted" in b for b in bad)
    _, warn = output_problems({"masks": masks, "scores": np.array([[[1.2], [0.1]]], "float32")}, (8, 8), 2)
    assert warn and "outside [0, 1]" in warn[0]
