"""Which weight formats can run here: the Python module each one's runtime needs, and how to install it."""

from __future__ import annotations

#: weight formats in the order they are tried (bioimageio.core's order of preference)
WEIGHT_FORMATS = ("pytorch_state_dict", "torchscript", "onnx", "keras_v3", "keras_hdf5", "tensorflow_saved_model_bundle")
#: the Python module each format's bioimageio.core backend imports, and how to install it
RUNTIMES = {
    "pytorch_state_dict": ("torch", "pip install torch"), "torchscript": ("torch", "pip install torch"),
    "onnx": ("onnxruntime", "pip install 'samzoo[onnx]'"), "keras_v3": ("keras", "pip install keras"),
    "keras_hdf5": ("tensorflow", "pip install tensorflow"), "tensorflow_saved_model_bundle": ("tensorflow", "pip install tensorflow"),
}


def runtime_missing(weight_format: str) -> str | None:
    """Why ``weight_format`` cannot run here (its runtime is not installed), or None."""
    import importlib.util

    module, hint = RUNTIMES.get(weight_format, (None, ""))
    try:
        if module is None or importlib.util.find_spec(module) is not None:
            return None
    except (ImportError, ValueError):  # a broken or blocked installation counts as missing
        pass
    return f"{module} is not installed ({hint})"
