"""TorchScript weights of the interactive package: the package's own ``SamAdaptor``, scripted over traced SAM parts.

bioimageio.core's converter (``weight_converters.pytorch_to_torchscript``) traces the model with
every test input at once. The interactive package's test inputs include ``embeddings``, so its
trace would skip the image encoder and would fail whenever a user leaves an optional prompt
out. samzoo therefore scripts the package's architecture (``SamAdaptor``: its optional inputs
and branches become TorchScript code) over parts that are fixed computations:

* the image encoder, traced on its one input shape (1 x 3 x 1024 x 1024);
* the mask decoder (single-mask output), traced; the number of objects and of prompt points
  stays dynamic (checked by the cross-check on the test prompts and by the tests with others);
* SAM's prompt encoder, restated below in TorchScript (segment_anything's cannot be scripted)
  over the same parameters.

Scripting runs in a fresh process (:mod:`.exports.export_worker`), which keeps the saved bytes reproducible.

This module stays at ``samzoo.builder.torchscript``, outside :mod:`.exports`: TorchScript records the
qualified name of every class it compiles (``__torch__.samzoo.builder.torchscript.ScriptPromptEncoder``)
in the saved archive, so moving the file would change the bytes of every package with TorchScript weights.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import nn

IMAGE_SIZE = 1024


class ScriptPromptEncoder(nn.Module):
    """SAM's ``PromptEncoder`` (points, boxes, masks -> sparse and dense embeddings), scriptable."""

    def __init__(self, prompt_encoder: nn.Module) -> None:
        super().__init__()
        pe = prompt_encoder
        self.register_buffer("gaussian", pe.pe_layer.positional_encoding_gaussian_matrix.detach().clone())
        self.register_buffer("point_weights", torch.cat([e.weight.detach() for e in pe.point_embeddings]).clone())
        self.register_buffer("not_a_point", pe.not_a_point_embed.weight.detach().clone())
        self.register_buffer("no_mask", pe.no_mask_embed.weight.detach().clone())
        self.register_buffer("dense_pe", pe.get_dense_pe().detach().clone())
        self.mask_downscaling = torch.jit.trace(pe.mask_downscaling, torch.zeros(1, 1, 4 * pe.image_embedding_size[0], 4 * pe.image_embedding_size[1]))
        self.embed_dim: int = int(pe.embed_dim)
        self.grid: Tuple[int, int] = (int(pe.image_embedding_size[0]), int(pe.image_embedding_size[1]))
        self.input_size: Tuple[int, int] = (int(pe.input_image_size[0]), int(pe.input_image_size[1]))

    def get_dense_pe(self) -> torch.Tensor:
        return self.dense_pe

    def _encode_coords(self, coords: torch.Tensor) -> torch.Tensor:
        """``PositionEmbeddingRandom.forward_with_coords``: pixel coordinates (x, y) -> B x N x C."""
        scale = torch.tensor([1.0 / self.input_size[1], 1.0 / self.input_size[0]], dtype=torch.float32, device=coords.device)
        c = 2 * (coords.to(torch.float32) * scale) - 1
        c = 2 * math.pi * (c @ self.gaussian)
        return torch.cat([torch.sin(c), torch.cos(c)], dim=-1)

    def _embed_points(self, points: torch.Tensor, labels: torch.Tensor, pad: bool) -> torch.Tensor:
        points = points + 0.5
        if pad:
            points = torch.cat([points, torch.zeros((points.shape[0], 1, 2), device=points.device)], dim=1)
            labels = torch.cat([labels, -torch.ones((labels.shape[0], 1), device=labels.device, dtype=labels.dtype)], dim=1)
        emb = self._encode_coords(points)
        emb[labels == -1] = 0.0
        emb[labels == -1] += self.not_a_point[0]
        emb[labels == 0] += self.point_weights[0]
        emb[labels == 1] += self.point_weights[1]
        return emb

    def _embed_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        corners = self._encode_coords((boxes + 0.5).reshape(-1, 2, 2))
        corners[:, 0, :] += self.point_weights[2]
        corners[:, 1, :] += self.point_weights[3]
        return corners

    def forward(
        self, points: Optional[Tuple[torch.Tensor, torch.Tensor]], boxes: Optional[torch.Tensor], masks: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        bs = 1
        if points is not None:
            bs = points[0].shape[0]
        elif boxes is not None:
            bs = boxes.shape[0]
        elif masks is not None:
            bs = masks.shape[0]
        sparse = torch.empty((bs, 0, self.embed_dim), device=self.gaussian.device)
        if points is not None:
            sparse = torch.cat([sparse, self._embed_points(points[0], points[1], boxes is None)], dim=1)
        if boxes is not None:
            sparse = torch.cat([sparse, self._embed_boxes(boxes)], dim=1)
        if masks is not None:
            dense = self.mask_downscaling(masks)
        else:
            dense = self.no_mask.reshape(1, -1, 1, 1).expand(bs, -1, self.grid[0], self.grid[1])
        return sparse, dense


class _SingleMaskDecoder(nn.Module):
    """The mask decoder with ``multimask_output=False`` (the one setting the adaptor uses), for tracing."""

    def __init__(self, mask_decoder: nn.Module) -> None:
        super().__init__()
        self.decoder = mask_decoder

    def forward(self, embeddings: torch.Tensor, image_pe: torch.Tensor, sparse: torch.Tensor, dense: torch.Tensor):
        return self.decoder(embeddings, image_pe, sparse, dense, False)


class ScriptMaskDecoder(nn.Module):
    """Calls the traced decoder with the adaptor's keyword arguments (``multimask_output`` must be False)."""

    def __init__(self, traced: nn.Module) -> None:
        super().__init__()
        self.traced = traced

    def forward(
        self, image_embeddings: torch.Tensor, image_pe: torch.Tensor, sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor, multimask_output: bool,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        if multimask_output:
            raise ValueError("the TorchScript model returns single masks only")
        low_res, iou = self.traced(image_embeddings, image_pe, sparse_prompt_embeddings, dense_prompt_embeddings)
        return low_res, iou


_CAPTURED: dict = {}


class _Capture(nn.Module):
    """Runs the image encoder and keeps its output: tracing computes real values, so the trace is also the encoder pass."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.encoder(x)
        _CAPTURED["embeddings"] = y
        return y


def trace_encoder(encoder: nn.Module, x: torch.Tensor) -> Tuple[nn.Module, torch.Tensor]:
    """(the traced image encoder, its embeddings of ``x``): one forward pass gives both.

    ``x`` is the preprocessed 1 x 3 x 1024 x 1024 input (``sam_adaptor.preprocess``); the encoder has
    no data-dependent branches, so the trace holds for every image.
    """
    _CAPTURED.clear()
    with torch.no_grad():
        traced = torch.jit.trace(_Capture(encoder), x, check_trace=False)
    return traced.encoder, _CAPTURED.pop("embeddings")


class ScriptParts(nn.Module):
    """What ``SamAdaptor`` uses of a ``Sam`` module, in TorchScript-ready form (``image_encoder``: already traced)."""

    def __init__(self, sam: nn.Module, example_embeddings: torch.Tensor, image_encoder: Optional[nn.Module] = None) -> None:
        super().__init__()
        with torch.no_grad():
            if image_encoder is None:
                image_encoder = trace_encoder(sam.image_encoder, torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE))[0]
            self.image_encoder = image_encoder
            self.prompt_encoder = ScriptPromptEncoder(sam.prompt_encoder)
            pe = self.prompt_encoder
            # two objects with three sparse tokens each: the traced shapes stay symbolic in both
            sparse, dense = pe((torch.zeros(2, 1, 2), torch.ones(2, 1, dtype=torch.int64)), torch.zeros(2, 4), None)
            self.mask_decoder = ScriptMaskDecoder(torch.jit.trace(
                _SingleMaskDecoder(sam.mask_decoder), (example_embeddings, pe.dense_pe, sparse, dense), check_trace=False,
            ))
        self.register_buffer("pixel_mean", sam.pixel_mean.detach().clone())
        self.register_buffer("pixel_std", sam.pixel_std.detach().clone())
        self.mask_threshold: float = float(sam.mask_threshold)


def script_adaptor(model_type: str, sam: nn.Module, example_embeddings: torch.Tensor,
                   image_encoder: Optional[nn.Module] = None) -> torch.jit.ScriptModule:
    """The package's ``SamAdaptor`` over ``sam``'s weights as a TorchScript module (same inputs, outputs and code).

    ``image_encoder``: the encoder traced by :func:`trace_encoder` (else it is traced here, on zeros).
    """
    import warnings

    from ..architectures.sam_adaptor import SamAdaptor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: the cross-check decides
        parts = ScriptParts(sam.eval(), example_embeddings, image_encoder)
        return torch.jit.script(SamAdaptor(model_type, sam=parts).eval())
