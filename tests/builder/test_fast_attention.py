"""The packages' image-encoder attention (``FastAttention``) against segment_anything's own ``Attention``."""

from __future__ import annotations

import pytest
import torch
from segment_anything.modeling.image_encoder import Attention

from samzoo.architectures.sam_adaptor import FastAttention, SamAdaptor, use_fast_attention


@pytest.mark.parametrize("size", [(14, 14), (16, 12)])  # a window of vit_b, and a non-square global grid
def test_fast_attention_computes_what_segment_anythings_does(size):
    torch.manual_seed(0)
    attn = Attention(96, num_heads=4, qkv_bias=True, use_rel_pos=True, input_size=(max(size), max(size))).eval()
    for p in (attn.rel_pos_h, attn.rel_pos_w):
        torch.nn.init.normal_(p, std=0.5)  # relative positions matter (zeros at initialisation)
    x = torch.randn(3, *size, 96)
    with torch.no_grad():
        expected = attn(x)
        got = FastAttention(attn)(x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_vit_b_adaptor_keeps_the_state_dict_keys_and_tinyvit_is_left_alone():
    from segment_anything import sam_model_registry

    sam = sam_model_registry["vit_b"]()
    keys = list(sam.state_dict())
    adaptor = SamAdaptor("vit_b", sam=sam)
    assert list(adaptor.state_dict()) == keys  # packages load the same state dict as before
    assert all(isinstance(b.attn, FastAttention) for b in sam.image_encoder.blocks)
    plain = SamAdaptor("vit_b", sam=sam_model_registry["vit_b"](), fast_attention=False)
    assert not any(isinstance(m, FastAttention) for m in plain.modules())

    from mobile_sam import sam_model_registry as mobile_registry

    tiny = mobile_registry["vit_t"]()
    assert use_fast_attention(tiny) is tiny and not any(isinstance(m, FastAttention) for m in tiny.modules())
