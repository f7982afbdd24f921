"""``partner_gates``: the partner tools' static gates, from descriptions."""

from __future__ import annotations

from samzoo.validate.checks.partner_gates import check_partner_gates
from helpers.validate_packages import AIS, MICRO_SAM_LIKE


def test_partner_gates_of_a_six_input_package():
    r = check_partner_gates(MICRO_SAM_LIKE)
    assert r.status == "passed" and r.message.startswith("informational")
    assert "deepImageJ no (6 inputs, no TorchScript or TensorFlow weights)" in r.message
    assert "ilastik no (6 inputs, 3 outputs)" in r.message and "BiaPy no (6 inputs)" in r.message


def test_partner_gates_of_an_ais_package():
    r = check_partner_gates(AIS)
    assert "ilastik yes" in r.message and "BiaPy yes" in r.message
    assert "deepImageJ no (no TorchScript or TensorFlow weights)" in r.message
    with_ts = {**AIS, "weights": {**AIS["weights"], "torchscript": {"source": "m.pt"}}}
    assert "deepImageJ yes" in check_partner_gates(with_ts).message
