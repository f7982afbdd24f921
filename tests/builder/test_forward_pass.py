"""What both kinds' forward pass shares (builder/forward_pass.py): weights written meanwhile, outputs checked testable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from samzoo.builder.forward_pass import check_testable_outputs, saving_weights
from samzoo.plumbing.errors import OutputError, SamzooError


def test_weights_are_written_while_the_block_runs(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3)}
    with saving_weights(state, tmp_path / "w.pt"):
        pass
    assert torch.equal(torch.load(tmp_path / "w.pt", weights_only=True)["w"], state["w"])
    (tmp_path / "published.pt").write_bytes(b"the published bytes")
    with saving_weights(state, tmp_path / "copy.pt", verbatim=tmp_path / "published.pt"):
        pass
    assert (tmp_path / "copy.pt").read_bytes() == b"the published bytes"


def test_a_failed_write_is_an_output_error_with_exit_1_for_every_kind(tmp_path):
    """The same failure once gave exit 1 in one kind and 2 (a usage error) in the other."""
    writing = saving_weights({"w": torch.zeros(2)}, tmp_path / "missing" / "w.pt")
    with pytest.raises(OutputError, match="cannot write the weights into .*missing.*check free disk space") as e, writing:
        pass
    assert e.value.exit_code == 1 and "\n" not in str(e.value)


def test_the_blocks_own_error_comes_first(tmp_path):
    writing = saving_weights({"w": torch.zeros(2)}, tmp_path / "missing" / "w.pt")
    with pytest.raises(ValueError, match="the pass failed"), writing:
        raise ValueError("the pass failed")


def test_all_zero_outputs_are_refused_in_one_line():
    check_testable_outputs({"masks": np.ones((1, 1, 4, 4), np.uint8)}, "cell.png")
    with pytest.raises(SamzooError, match="'labels' is all zero on the test image \\(cell.png\\)"):
        check_testable_outputs({"labels": np.zeros((1, 1, 4, 4), np.int32)}, "cell.png")
    with pytest.raises(SamzooError, match="'scores'"):
        check_testable_outputs({"scores": np.zeros((1, 0, 1), np.float32)}, "cell.png")
