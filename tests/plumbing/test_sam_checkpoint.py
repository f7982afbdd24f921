"""Checkpoint reading (weights_only, every format of the family) and the fast module build."""

from __future__ import annotations


import pytest
import torch

from samzoo.plumbing.sam_checkpoint import CheckpointError, load_checkpoint, load_state_dict_file
from samzoo.plumbing.sam_models import build_sam, parameters_on_meta, BUILDERS


@pytest.fixture(scope="module")
def vit_t_state(vit_t_checkpoint):
    return torch.load(vit_t_checkpoint, weights_only=True)


def test_plain_state_dict(vit_t_checkpoint):
    ck = load_checkpoint(vit_t_checkpoint)
    assert ck.encoder == "vit_t" and ck.decoder_state is None
    assert "image_encoder.patch_embed.seq.0.c.weight" in ck.state_dict


def test_finetuning_checkpoint_with_prefix_and_training_state(tmp_path, vit_t_state):
    decoder = {"base.weight": torch.zeros(3)}
    path = tmp_path / "best.pt"
    torch.save({"model_state": {f"sam.{k}": v for k, v in vit_t_state.items()}, "decoder_state": decoder,
                "iteration": 1200, "best_metric": 0.12, "optimizer_state": {"lr": 1e-5}}, path)
    ck = load_checkpoint(path)
    assert ck.encoder == "vit_t"
    assert set(ck.state_dict) == set(vit_t_state)
    assert torch.equal(ck.decoder_state["base.weight"], decoder["base.weight"])
    assert set(ck.extra_keys) == {"iteration", "best_metric", "optimizer_state"}


@pytest.mark.parametrize("width, encoder", [(768, "vit_b"), (1024, "vit_l"), (1280, "vit_h")])
def test_encoder_inferred_from_patch_embedding(tmp_path, width, encoder):
    # only the keys matter for inference; shapes as in the real architectures
    sd = {"image_encoder.patch_embed.proj.weight": torch.zeros(width, 3, 16, 16),
          "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix": torch.zeros(2, 128),
          "mask_decoder.iou_token.weight": torch.zeros(1, 256)}
    torch.save(sd, tmp_path / "x.pt")
    assert load_checkpoint(tmp_path / "x.pt").encoder == encoder


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "not a readable PyTorch checkpoint"),
        (b"hello world, not a checkpoint", "not a readable PyTorch checkpoint"),
    ],
)
def test_garbage_files(tmp_path, content, match):
    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(tmp_path / "bad.pt")


def test_truncated_file(tmp_path, vit_t_checkpoint):
    data = vit_t_checkpoint.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "cut.pt")
    assert "\n" not in str(e.value)


def test_arbitrary_objects_are_never_unpickled(tmp_path, capfd):
    torch.save({"model_state": {}, "cfg": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_checkpoint(tmp_path / "evil.pt")
    assert "this must never run" not in capfd.readouterr().out


def test_not_sam_weights(tmp_path):
    torch.save({"conv.weight": torch.zeros(2)}, tmp_path / "unet.pt")
    with pytest.raises(CheckpointError, match="incomplete"):
        load_checkpoint(tmp_path / "unet.pt")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="not a dict"):
        load_checkpoint(tmp_path / "list.pt")


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")


def test_decoder_file(tmp_path):
    torch.save({"decoder_state": {"a": torch.ones(1)}}, tmp_path / "d.pt")
    assert set(load_state_dict_file(tmp_path / "d.pt")) == {"a"}


def test_build_sam_equals_eager_module(vit_t_checkpoint, vit_t_state):
    """The meta-device build must compute exactly what a normally built, loaded module computes."""
    eager = BUILDERS["vit_t"]()
    eager.load_state_dict(vit_t_state)
    eager.eval()
    fast = build_sam("vit_t", load_checkpoint(vit_t_checkpoint).state_dict)
    assert not any(t.is_meta for t in [*fast.parameters(), *fast.buffers()])
    x = torch.rand(1, 3, 1024, 1024) * 255
    with torch.no_grad():
        assert torch.equal(eager.image_encoder(eager.preprocess(x)), fast.image_encoder(fast.preprocess(x)))


def test_build_sam_rejects_wrong_architecture(vit_t_state):
    with pytest.raises(Exception, match="do not fit the vit_b architecture"):
        build_sam("vit_b", vit_t_state)


def test_parameters_on_meta_restores_module():
    with parameters_on_meta():
        meta = torch.nn.Linear(2, 2)
    assert meta.weight.is_meta
    assert not torch.nn.Linear(2, 2).weight.is_meta


def test_random_checkpoint_bytes_do_not_depend_on_the_file_name(tmp_path):
    from samzoo.plumbing.hashing import file_hash
    from samzoo.plumbing.sam_models import save_random_checkpoint

    save_random_checkpoint(tmp_path / "a.pt", "vit_t", seed=3)
    save_random_checkpoint(tmp_path / "other_name.pt", "vit_t", seed=3)
    assert file_hash(tmp_path / "a.pt") == file_hash(tmp_path / "other_name.pt")
    assert not list(tmp_path.glob(".*"))  # no temporary files left
