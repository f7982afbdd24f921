"""Run SAM's ViT image encoder with less memory: global attention one head group at a time.

segment_anything's ``Attention`` materialises the full (heads x tokens x
tokens) attention matrix: 12 x 4096 x 4096 floats (805 MB) for vit_b's global
layers, and two or three temporaries of that size. Splitting the heads into
groups, and adding the relative-position terms in place, computes the same
numbers (bit for bit) with a fraction of the peak memory, and faster. The
patch is applied per module instance, only inside the ``with`` block; nothing
global is changed.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator

import torch
from torch import nn

#: attention-matrix elements computed at once (2 heads of a 64 x 64-token global layer: 134 MB);
#: windowed layers (14 x 14 tokens) fit in one chunk
_ELEMENTS_PER_CHUNK = 2 * 4096 * 4096


def _add_rel_pos_(attn: torch.Tensor, q: torch.Tensor, rel_pos_h: torch.Tensor, rel_pos_w: torch.Tensor, H: int, W: int) -> None:
    """segment_anything's ``add_decomposed_rel_pos`` for square self-attention, in place (same operations, same order)."""
    from segment_anything.modeling.image_encoder import get_rel_pos

    Rh, Rw = get_rel_pos(H, H, rel_pos_h), get_rel_pos(W, W, rel_pos_w)
    r_q = q.reshape(q.shape[0], H, W, -1)
    rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, Rh)
    rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, Rw)
    view = attn.view(attn.shape[0], H, W, H, W)
    view.add_(rel_h[:, :, :, :, None])
    view.add_(rel_w[:, :, :, None, :])


def _chunked_forward(self, x: torch.Tensor) -> torch.Tensor:
    B, H, W, _ = x.shape
    qkv = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.reshape(3, B * self.num_heads, H * W, -1).unbind(0)
    step = max(1, _ELEMENTS_PER_CHUNK // (H * W) ** 2)
    out = torch.empty_like(q)
    for start in range(0, q.shape[0], step):
        sl = slice(start, start + step)
        attn = (q[sl] * self.scale) @ k[sl].transpose(-2, -1)
        if self.use_rel_pos:
            _add_rel_pos_(attn, q[sl], self.rel_pos_h, self.rel_pos_w, H, W)
        torch.bmm(attn.softmax(dim=-1), v[sl], out=out[sl])
        del attn
    x = out.view(B, self.num_heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
    return self.proj(x)


@contextlib.contextmanager
def low_memory_attention(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block, every segment_anything ``Attention`` inside ``module`` computes head groups in turn."""
    try:
        from segment_anything.modeling.image_encoder import Attention
    except ImportError:  # pragma: no cover - segment_anything is a dependency
        yield module
        return
    patched = [m for m in module.modules() if isinstance(m, Attention)]
    for m in patched:
        m.forward = types.MethodType(_chunked_forward, m)
    try:
        yield module
    finally:
        for m in patched:
            del m.forward
