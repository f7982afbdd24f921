"""The Python API explains itself: device auto, the AIS decoder back, docstrings with Args/Returns/Raises/Example,
help(samzoo.resolve) on the function, a py.typed marker."""

from __future__ import annotations

import inspect
import pydoc
from pathlib import Path

import pytest
import torch

import samzoo
from samzoo.plumbing.errors import ArgumentError, SamzooError


def test_device_defaults_to_auto(vit_t_checkpoint):
    sam = samzoo.load_sam(vit_t_checkpoint)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(sam.parameters()).device.type == expected
    assert inspect.signature(samzoo.load_sam).parameters["device"].default is None
    assert next(samzoo.load_sam(vit_t_checkpoint, device="auto").parameters()).device.type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ArgumentError) as e:
            samzoo.load_sam(vit_t_checkpoint, device="cuda")
        assert e.value.argument == "device" and "no CUDA GPU" in str(e.value)


def test_load_decoder_gives_the_ais_decoder_back(tmp_path, vit_t_checkpoint):
    state = torch.load(vit_t_checkpoint, weights_only=True)
    decoder = {"decoder.weight": torch.ones(3, 3), "out_conv.bias": torch.zeros(3)}
    combined = tmp_path / "finetuned.pt"
    torch.save({"model_state": state, "decoder_state": decoder, "epoch": 3}, combined)
    got = samzoo.load_decoder(combined)
    assert set(got) == set(decoder) and torch.equal(got["decoder.weight"], decoder["decoder.weight"])
    with pytest.raises(SamzooError, match="has no instance-segmentation decoder"):
        samzoo.load_decoder(vit_t_checkpoint)


@pytest.mark.parametrize("name", ["resolve", "load_sam", "load_predictor", "load_decoder", "build_package",
                                  "validate_package", "recommend"])
def test_public_functions_document_themselves(name):
    fn = getattr(samzoo, name)
    fn = fn.recommend if inspect.ismodule(fn) else fn
    doc = inspect.getdoc(fn)
    assert "Example::" in doc, name
    if name != "load_predictor":  # documented as "same arguments as load_sam"
        assert all(word in doc for word in ("Args:", "Returns:", "Raises:")), name
    assert inspect.signature(fn).return_annotation is not inspect.Signature.empty, name


def test_help_of_resolve_shows_the_function():
    text = pydoc.render_doc(samzoo.resolve, renderer=pydoc.plaintext)
    assert "function resolve" in text and "Args:" in text


def test_py_typed_marker_ships():
    assert (Path(samzoo.__file__).parent / "py.typed").is_file()
