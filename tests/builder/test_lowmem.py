"""Low-memory attention (builder/lowmem.py): the same numbers, bit for bit."""

from __future__ import annotations

import torch

from samzoo.builder.lowmem import low_memory_attention


def test_low_memory_attention_matches_segment_anything():
    from segment_anything.modeling.image_encoder import Attention

    torch.manual_seed(0)
    attn = Attention(dim=32, num_heads=16, use_rel_pos=True, input_size=(48, 48)).eval()
    torch.nn.init.normal_(attn.rel_pos_h)
    torch.nn.init.normal_(attn.rel_pos_w)
    x = torch.randn(1, 48, 48, 32)  # 2304 tokens x 16 heads: 3 head groups in the chunked path
    with torch.no_grad():
        expected = attn(x)
        with low_memory_attention(attn):
            got = attn(x)
        restored = attn(x)
    assert torch.equal(got, expected)  # same operations in the same order: bit for bit
    assert "forward" not in attn.__dict__ and torch.equal(restored, expected)
    windowed = Attention(dim=32, num_heads=4, use_rel_pos=True, input_size=(14, 14)).eval()
    torch.nn.init.normal_(windowed.rel_pos_h)
    xw = torch.randn(25, 14, 14, 32)  # a batch of 14 x 14 windows, as in the windowed blocks
    with torch.no_grad():
        expected = windowed(xw)
        with low_memory_attention(windowed):
            assert torch.equal(windowed(xw), expected)
