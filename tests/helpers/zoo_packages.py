"""Real non-SAM BioImage.IO packages, as other tools write them: a 3 x 3 convolution in three weight formats.

``write_zoo_package(folder)`` saves, with ``bioimageio.spec``, a model whose one input ``raw``
(B, C=1, 32 x 32 float32) goes through a fixed 3 x 3 convolution to one output ``out``, with
``pytorch_state_dict`` (architecture file + state dict), ``torchscript`` and ``onnx`` weights and
test tensors computed by the model itself. ``remote_state_dict=URL`` then rewrites the rdf as the
zoo's examples have it: the first format, ``pytorch_state_dict``, is fetched from ``URL`` (its
sha256 recorded), while TorchScript and ONNX stay files in the folder. ``broken_test_output``
inverts the stored test output (every format must then fail).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import torch
import yaml

ARCHITECTURE = '''import torch
from torch import nn


class TinyConv(nn.Module):
    """One 3 x 3 convolution, one channel in and out."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
'''
WEIGHT_FILE = "tiny_conv.pt"


def _model() -> torch.nn.Module:
    namespace: dict = {}
    exec(compile(ARCHITECTURE, "tiny_conv.py", "exec"), namespace)  # our own source, run as bioimageio.core runs it
    torch.manual_seed(0)
    return namespace["TinyConv"]().eval()


def _onnx(model: torch.nn.Module, path: Path) -> None:
    """The convolution as an ONNX graph (written with ``onnx`` itself: torch's exporter needs onnxscript)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(model.conv.weight.detach().numpy(), "w")
    b = numpy_helper.from_array(model.conv.bias.detach().numpy(), "b")
    node = helper.make_node("Conv", ["raw", "w", "b"], ["out"], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    shape = ["batch", 1, "y", "x"]
    graph = helper.make_graph([node], "tiny_conv", [helper.make_tensor_value_info("raw", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)], [w, b])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_zoo_package(out: str | Path, *, remote_state_dict: str | None = None, broken_test_output: bool = False) -> Path:
    """Write the package as a folder ``out``; return its rdf.yaml (see the module docstring)."""
    import bioimageio.spec.model.v0_5 as spec
    from bioimageio.spec import save_bioimageio_package_as_folder

    out = Path(out)
    model = _model()
    raw = np.random.default_rng(0).random((1, 1, 32, 32), dtype=np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(raw)).numpy()
    if broken_test_output:
        expected = -expected
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "tiny_conv.py").write_text(ARCHITECTURE)
        torch.save(model.state_dict(), tmp / WEIGHT_FILE)
        torch.jit.trace(model, torch.from_numpy(raw)).save(str(tmp / "tiny_conv_torchscript.pt"))
        _onnx(model, tmp / "tiny_conv.onnx")
        np.save(tmp / "raw.npy", raw)
        np.save(tmp / "out.npy", expected)
        (tmp / "README.md").write_text("# Tiny convolution\nA 3 x 3 convolution, for testing validators.\n")
        axes = lambda kind: [spec.BatchAxis(), spec.ChannelAxis(channel_names=[spec.Identifier("c")]),  # noqa: E731
                             kind(id=spec.AxisId("y"), size=32), kind(id=spec.AxisId("x"), size=32)]
        torch_version = spec.Version(torch.__version__.split("+")[0])
        descr = spec.ModelDescr(
            name="Tiny convolution", description="a 3 x 3 convolution in three weight formats",
            authors=[spec.Author(name="Test Author")], cite=[spec.CiteEntry(text="no paper", doi=spec.Doi("10.1000/182"))],
            license=spec.LicenseId("MIT"), documentation=spec.FileDescr(source=tmp / "README.md"),
            inputs=[spec.InputTensorDescr(id=spec.TensorId("raw"), axes=axes(spec.SpaceInputAxis),
                                          test_tensor=spec.FileDescr(source=tmp / "raw.npy"))],
            outputs=[spec.OutputTensorDescr(id=spec.TensorId("out"), axes=axes(spec.SpaceOutputAxis),
                                            test_tensor=spec.FileDescr(source=tmp / "out.npy"))],
            weights=spec.WeightsDescr(
                pytorch_state_dict=spec.PytorchStateDictWeightsDescr(
                    source=tmp / WEIGHT_FILE, pytorch_version=torch_version,
                    architecture=spec.ArchitectureFromFileDescr(source=tmp / "tiny_conv.py", callable="TinyConv")),
                torchscript=spec.TorchscriptWeightsDescr(source=tmp / "tiny_conv_torchscript.pt", pytorch_version=torch_version),
                onnx=spec.OnnxWeightsDescr(source=tmp / "tiny_conv.onnx", opset_version=17),
            ),
        )
        save_bioimageio_package_as_folder(descr, output_path=out)
    rdf = out / "rdf.yaml"
    if remote_state_dict is not None:
        data = yaml.safe_load(rdf.read_text())
        entry = data["weights"]["pytorch_state_dict"]
        entry["sha256"] = sha256(out / entry["source"])
        (out / entry["source"]).unlink()  # only the URL has it now
        entry["source"] = remote_state_dict
        rdf.write_text(yaml.safe_dump(data, sort_keys=False))
    return rdf
