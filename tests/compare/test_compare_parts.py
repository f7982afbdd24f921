"""The parts of ``samzoo diff`` that need no model run: rdf fields, files, weights, metrics, hostile input."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from samzoo.compare.file_changes import FileEntry, file_changes
from samzoo.compare.mask_metrics import adjusted_rand_index, cosine, iou, object_count
from samzoo.compare.metadata_changes import rdf_changes
from samzoo.compare.package_side import CompareError, open_side
from samzoo.compare.weight_changes import compare_states, load_state, module_of


def test_rdf_changes_name_fields_by_readable_paths():
    a = {"name": "x", "tags": ["a", "b"], "inputs": [{"id": "image", "axes": [{"type": "batch"}, {"id": "y", "size": 1}]}],
         "cite": [{"text": "A"}], "license": "MIT"}
    b = {"name": "y", "tags": ["a"], "inputs": [{"id": "image", "axes": [{"type": "batch"}, {"id": "y", "size": 2}]}],
         "cite": [{"text": "A"}, {"text": "B"}], "documentation": "doc.md"}
    changes = {c.path: (c.status, c.old, c.new) for c in rdf_changes(a, b)}
    assert changes == {
        "name": ("changed", "x", "y"),
        "tags": ("changed", ["a", "b"], ["a"]),
        "inputs[image].axes[1].size": ("changed", 1, 2),  # a batch axis has no id: by index
        "cite": ("changed", [{"text": "A"}], [{"text": "A"}, {"text": "B"}]),
        "license": ("removed", "MIT", None),
        "documentation": ("added", None, "doc.md"),
    }
    assert rdf_changes(a, a) == []


def test_file_changes_added_removed_changed():
    a = {"x": FileEntry(1, "00"), "y": FileEntry(2, "11"), "z": FileEntry(3, "22")}
    b = {"x": FileEntry(1, "00"), "y": FileEntry(2, "12"), "w": FileEntry(4, "33")}
    assert [(c.path, c.status) for c in file_changes(a, b)] == [("w", "added"), ("y", "changed"), ("z", "removed")]


def test_metrics():
    m = np.zeros((4, 4), bool)
    m[:2] = True
    n = m.copy()
    n[2, 0] = True
    assert iou(m, m) == 1.0 and iou(m, n) == pytest.approx(8 / 9)
    labels = np.array([[0, 1], [2, 2]])
    assert adjusted_rand_index(labels, labels + 5 * (labels > 0)) == pytest.approx(1.0)  # same partition, other ids
    assert adjusted_rand_index(labels, np.array([[0, 1], [1, 2]])) < 1.0
    assert object_count(labels) == 2
    assert cosine(np.ones(3), 2 * np.ones(3)) == pytest.approx(1.0) and cosine(np.ones(2), np.array([1.0, -1.0])) == pytest.approx(0.0)


def test_weights_grouped_by_sam_module_with_relative_l2(tmp_path):
    g = torch.Generator().manual_seed(0)
    a = {"image_encoder.w": torch.randn(8, 8, generator=g), "mask_decoder.w": torch.randn(4, 4, generator=g),
         "mask_decoder.b": torch.randn(4, generator=g), "prompt_encoder.pe": torch.randn(3, generator=g)}
    b = dict(a)
    delta = 0.1 * torch.randn(4, 4, generator=g)
    b["mask_decoder.w"] = a["mask_decoder.w"] + delta
    b["prompt_encoder.pe"] = torch.randn(5, generator=g)
    b["decoder_state.out_conv.w"] = torch.ones(2)
    del b["image_encoder.w"]
    d = compare_states(a, b)
    assert d.added == ("decoder_state.out_conv.w",) and d.removed == ("image_encoder.w",)
    assert d.reshaped == (("prompt_encoder.pe", (3,), (5,)),)
    (dec,) = d.modules
    assert (dec.module, dec.tensors, dec.changed) == ("mask_decoder", 2, 1)
    expected = float(delta.norm() / torch.cat([a["mask_decoder.w"].ravel(), a["mask_decoder.b"]]).norm())
    assert dec.rel_l2 == pytest.approx(expected, rel=1e-5)
    assert dec.largest[0].key == "mask_decoder.w"
    assert module_of("decoder_state.base.x") == "unetr_decoder" and module_of("sam.image_encoder.x") == "image_encoder"


def test_wrapped_state_dicts_compare_by_sam_keys(tmp_path):
    t = torch.arange(4.0)
    torch.save({"model_state": {"mask_decoder.w": t}, "decoder_state": {"base.w": t}}, tmp_path / "ais.pt")
    state = load_state(tmp_path / "ais.pt", "A")
    assert set(state) == {"mask_decoder.w", "decoder_state.base.w"}


class Hostile:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_weights_that_are_not_a_state_dict_are_refused_without_unpickling(tmp_path, capsys):
    torch.save({"w": Hostile()}, tmp_path / "evil.pt")
    with pytest.raises(CompareError) as e:
        load_state((tmp_path / "evil.pt").read_bytes(), "B")
    assert "B: its weights cannot be read as a state dict" in str(e.value) and "\n" not in str(e.value)
    assert "unpickled!" not in capsys.readouterr().out


def test_corrupt_and_forged_zips_are_one_line(tmp_path):
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CompareError, match=r"^A \(cut.zip\): not a readable zip"):
        open_side(tmp_path / "cut.zip", "A")
    with zipfile.ZipFile(tmp_path / "escape.zip", "w") as z:
        z.writestr("rdf.yaml", "type: model\n")
        z.writestr("../outside.txt", "x")
    with pytest.raises(CompareError, match="unsafe zip entry '../outside.txt'"):
        open_side(tmp_path / "escape.zip", "B")
    with zipfile.ZipFile(tmp_path / "list.zip", "w") as z:
        z.writestr("rdf.yaml", "- a list\n")
    with pytest.raises(CompareError, match="not a mapping"):
        open_side(tmp_path / "list.zip", "A")
