"""A small non-SAM BioImage.IO package (a 3x3 convolution as TorchScript), written with bioimageio.spec.

What any zoo model looks like to the validator: one float input ``raw``, one float output ``prediction``,
no SAM inputs or outputs. ``unloadable=True``: the weight file is not TorchScript (its sha256 is recorded,
so ``files`` passes and loading fails).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch


def write_plain_package(out: str | Path, *, unloadable: bool = False) -> Path:
    """Write the package folder ``out`` and return it."""
    import bioimageio.spec.model.v0_5 as spec
    from bioimageio.spec import save_bioimageio_package_as_folder

    out = Path(out)
    torch.manual_seed(0)
    model = torch.nn.Conv2d(1, 1, 3, padding=1).eval()
    image = np.random.default_rng(0).random((1, 1, 64, 64), dtype=np.float32)
    with torch.no_grad():
        prediction = model(torch.from_numpy(image)).numpy()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        weights = tmp / "weights.pt"
        if unloadable:
            weights.write_bytes(b"not a torchscript archive\n")
        else:
            torch.jit.save(torch.jit.trace(model, torch.from_numpy(image)), weights)
        np.save(tmp / "raw.npy", image)
        np.save(tmp / "prediction.npy", prediction)
        (tmp / "README.md").write_text("# A 3x3 convolution\nA non-SAM test package for samzoo's validator.\n")
        space = spec.ParameterizedSize(min=16, step=16)
        axes_in = [spec.BatchAxis(), spec.ChannelAxis(channel_names=[spec.Identifier("c")]),
                   spec.SpaceInputAxis(id=spec.AxisId("y"), size=space), spec.SpaceInputAxis(id=spec.AxisId("x"), size=space)]
        ref = lambda a: spec.SizeReference(tensor_id=spec.TensorId("raw"), axis_id=spec.AxisId(a))  # noqa: E731
        axes_out = [spec.BatchAxis(), spec.ChannelAxis(channel_names=[spec.Identifier("c")]),
                    spec.SpaceOutputAxis(id=spec.AxisId("y"), size=ref("y")), spec.SpaceOutputAxis(id=spec.AxisId("x"), size=ref("x"))]
        descr = spec.ModelDescr(
            name="plain convolution", description="a 3x3 convolution, not a SAM model",
            authors=[spec.Author(name="samzoo tests")], cite=[spec.CiteEntry(text="samzoo", url=spec.HttpUrl("https://example.org"))],
            license=spec.LicenseId("MIT"), documentation=spec.FileDescr(source=tmp / "README.md"),
            inputs=[spec.InputTensorDescr(id=spec.TensorId("raw"), axes=axes_in, test_tensor=spec.FileDescr(source=tmp / "raw.npy"),
                                          data=spec.IntervalOrRatioDataDescr(type="float32"))],
            outputs=[spec.OutputTensorDescr(id=spec.TensorId("prediction"), axes=axes_out,
                                            test_tensor=spec.FileDescr(source=tmp / "prediction.npy"),
                                            data=spec.IntervalOrRatioDataDescr(type="float32"))],
            weights=spec.WeightsDescr(torchscript=spec.TorchscriptWeightsDescr(
                source=weights, pytorch_version=spec.Version(torch.__version__))),
        )
        save_bioimageio_package_as_folder(descr, output_path=out)
    return out
