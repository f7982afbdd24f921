"""``ais``: instance-label outputs, on real arrays (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from samzoo.validate.checks.ais import check_ais, label_problem
from helpers.validate_packages import AIS, MICRO_SAM_LIKE


def test_label_problems():
    good = np.array([[0, 1, 1], [2, 0, 3]], np.int32)
    assert label_problem(good, (2, 3)) is None
    assert "not an integer" in label_problem(good.astype(np.float32), (2, 3))
    assert "the input 4 x 3" in label_problem(good, (4, 3))
    assert "negative label -1" in label_problem(np.array([[-1, 1]]), (1, 2))
    assert "not canonical" in label_problem(np.array([[0, 2, 1]]), (1, 3))
    assert "not canonical" in label_problem(np.array([[1, 1, 3]]), (1, 3))  # a gap


def test_check_ais_on_seen_outputs():
    labels = np.zeros((1, 1, 32, 48), np.int32)
    labels[0, 0, 4:8, 4:8] = 1
    seen = [("test image", {"labels": labels}, (32, 48)), ("n=0", {"labels": labels[..., :16, :16]}, (16, 16))]
    r = check_ais(AIS, seen)
    assert r.status == "passed" and "test image 1, n=0 1" in r.message
    assert check_ais(MICRO_SAM_LIKE, seen).status == "skipped"
    empty = [("test image", {"labels": np.zeros_like(labels)}, (32, 48))]
    assert check_ais(AIS, empty).status == "failed" and "no object" in check_ais(AIS, empty).message
    wrong = [("n=1", {"labels": labels}, (33, 48))]
    r = check_ais(AIS, wrong)
    assert r.status == "failed" and r.message.startswith("n=1: labels are 32 x 48")


@pytest.mark.parametrize("outputs", [[], [{"id": "x", "data": {"type": "float32"}}], "nonsense"])
def test_non_ais_packages_are_skipped(outputs):
    assert check_ais({"outputs": outputs}, [("test image", {}, (1, 1))]).status == "skipped"
