"""Files torch refuses give one complete line: what is in the file and what to do (never cut mid-sentence)."""

from __future__ import annotations

import argparse
import pickle

import pytest
import torch

from samzoo.plumbing.sam_checkpoint import CheckpointError, load_checkpoint


def _complete(message: str) -> None:
    assert "\n" not in message and message.count("`") % 2 == 0 and message.count("(") == message.count(")"), message


@pytest.mark.parametrize(
    "write, words",
    [
        (lambda p: torch.save({"model_state": {"a": torch.zeros(1)}, "args": argparse.Namespace(x=1)}, p,
                              _use_new_zipfile_serialization=False), "(argparse.Namespace); samzoo never unpickles"),
        (lambda p: torch.save({"a": torch.zeros(1), "numpy": __import__("numpy").zeros(3)}, p), "not tensors (numpy."),
        (lambda p: p.write_bytes(pickle.dumps({"a": [1, 2]}, protocol=4)), "a plain Python pickle, not a PyTorch checkpoint"),
        (lambda p: p.write_text("hello"), "not a readable PyTorch checkpoint"),
    ],
)
def test_refused_files_say_why_in_one_complete_line(tmp_path, write, words):
    path = tmp_path / "weights.pt"
    write(path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert words in str(e.value), str(e.value)
    _complete(str(e.value))
    assert "Re-running" not in str(e.value) and "add_safe_globals" not in str(e.value)
