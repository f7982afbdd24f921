"""A package's conda ``environment.yaml`` read as PyPI requirements (no install, no network).

Conda names that differ on PyPI are mapped (``pytorch`` -> ``torch``); conda-only
packages that PyPI does not need (``cudatoolkit``, ``cpuonly``, ``pip``) are
dropped; names the tables do not know are reported as *unmapped* and left out
(installing a PyPI project that merely shares a conda name could install the
wrong thing). A conda package whose conda-forge recipe brings run-time
dependencies its PyPI namesake does not declare brings them here too
(``segment-anything`` -> ``torch``, ``torchvision``). ``pip:`` entries are PyPI requirements already and are kept as
written (URLs such as ``git+https://...`` included). Conda version specs become
PEP 440 specifiers: ``pytorch=2.1`` -> ``torch==2.1.*``, ``pytorch >=2.1`` ->
``torch>=2.1``; channel prefixes and build strings are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..plumbing.errors import one_line
from ..plumbing.untrusted import InputLimitError, parse_yaml, read_text_bounded

#: conda package name -> PyPI distribution, where they differ
CONDA_TO_PYPI: dict[str, str] = {
    "pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch", "opencv": "opencv-python-headless",
    "py-opencv": "opencv-python-headless", "pillow-simd": "pillow", "tensorflow-gpu": "tensorflow",
    "python-elf": "python-elf", "torch_em": "torch-em", "pytorch-lightning": "pytorch-lightning",
}
#: conda packages published on PyPI under the same name
SAME_ON_PYPI: frozenset[str] = frozenset({
    "torchvision", "timm", "segment-anything", "numpy", "scipy", "scikit-image", "scikit-learn", "imageio",
    "tifffile", "xarray", "h5py", "zarr", "kornia", "natsort", "matplotlib", "pandas", "pillow", "tqdm",
    "pooch", "xxhash", "requests", "pyyaml", "einops", "onnx", "onnxruntime", "tensorflow", "keras",
    "bioimageio.core", "bioimageio.spec", "torch-em", "micro-sam", "napari", "nifty", "vigra", "affogato",
    "numba", "dask", "typing-extensions", "packaging", "protobuf", "safetensors", "huggingface-hub",
})
#: run-time dependencies a conda-forge package brings that its PyPI namesake does not declare
CONDA_BRINGS: dict[str, tuple[str, ...]] = {"segment-anything": ("torch>=1.7", "torchvision>=0.8")}
#: conda-only packages: runtimes, BLAS flavours and CUDA toolkits that PyPI wheels bring themselves
CONDA_ONLY: frozenset[str] = frozenset({
    "python", "pip", "cudatoolkit", "cuda-toolkit", "cudnn", "pytorch-cuda", "cpuonly", "nomkl", "mkl", "blas",
    "libblas", "openblas", "cuda-version", "pytorch-mutex", "setuptools", "wheel",
})

_CONDA_SPEC = re.compile(r"^\s*(?:[\w.\-]+::)?([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


@dataclass(frozen=True)
class EnvRequirements:
    """What an ``environment.yaml`` asks for, in PyPI terms."""

    #: PEP 508 requirement strings (mapped conda entries, then ``pip:`` entries), in file order
    requirements: tuple[str, ...]
    #: the ``python`` constraint as a PEP 440 specifier (``>=3.10``), or ``""``
    python: str
    #: conda entries that could not be mapped to a PyPI distribution (left out)
    unmapped: tuple[str, ...]
    #: conda entries dropped as conda-only (CUDA toolkits, ``pip`` itself, ...)
    dropped: tuple[str, ...] = ()


class EnvironmentFileError(ValueError):
    """The environment file is not a conda environment (one-line message)."""


def _conda_version(spec: str) -> str:
    """A conda version spec (``=2.1``, ``>=2.1,<3``, ``2.1.*``, ``=2.1=py310_0``) as a PEP 440 specifier."""
    spec = spec.strip()
    if not spec:
        return ""
    if spec.startswith("=") and not spec.startswith("=="):
        version = spec[1:].split("=")[0]  # drop a build string
        return f"=={version}" if version.endswith("*") else f"=={version}.*"
    if re.match(r"^[0-9]", spec):
        version = spec.split()[0].split("=")[0]
        return f"=={version}"
    return spec.replace(" ", "")


def _name(requirement: str) -> str:
    m = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    return m.group(0).lower() if m else requirement


def conda_to_pypi(entry: str) -> tuple[str | None, str]:
    """(PyPI requirement or None, conda name) for one conda dependency string."""
    m = _CONDA_SPEC.match(entry)
    if not m:
        return None, entry
    name, version = m.group(1).lower(), _conda_version(m.group(2))
    pypi = CONDA_TO_PYPI.get(name) or (name if name in SAME_ON_PYPI else None)
    return (f"{pypi}{version}" if pypi else None), name


def parse_environment(data: Any) -> EnvRequirements:
    """Read an already loaded environment.yaml mapping."""
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise EnvironmentFileError("not a conda environment file: it needs a 'dependencies' list")
    reqs: list[str] = []
    pip_reqs: list[str] = []
    unmapped: list[str] = []
    dropped: list[str] = []
    python = ""
    for dep in data["dependencies"]:
        if isinstance(dep, dict):
            pip_reqs.extend(str(p).strip() for p in dep.get("pip") or [] if str(p).strip())
            continue
        entry = str(dep).strip()
        req, name = conda_to_pypi(entry)
        if name == "python":
            python = _conda_version(_CONDA_SPEC.match(entry).group(2)) if _CONDA_SPEC.match(entry) else ""
        elif name in CONDA_ONLY:
            dropped.append(entry)
        elif req is None:
            unmapped.append(entry)
        else:
            reqs.append(req)
            reqs.extend(r for r in CONDA_BRINGS.get(name, ()) if _name(r) not in {_name(x) for x in reqs})
    return EnvRequirements(tuple(reqs + pip_reqs), python, tuple(unmapped), tuple(dropped))


def read_environment(path: Path) -> EnvRequirements:
    """Read ``path`` (an untrusted file from a package); :class:`EnvironmentFileError` when it is not one."""
    try:
        data = parse_yaml(read_text_bounded(path, what="environment file"), path.name, "environment file")
    except InputLimitError as e:
        raise EnvironmentFileError(one_line(e, 200)) from None
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as e:
        raise EnvironmentFileError(f"cannot read {path.name}: {' '.join(str(e).split())[:160]}") from None
    return parse_environment(data)


def weights_entry(rdf: dict[str, Any], weight_format: str) -> dict[str, Any] | None:
    """The rdf's ``weights.<weight_format>`` entry when it is a mapping (a package is untrusted: any type may be there)."""
    weights = rdf.get("weights")
    entry = weights.get(weight_format) if isinstance(weights, dict) else None
    return entry if isinstance(entry, dict) else None


def environment_path(rdf: dict[str, Any], root: Path, weight_format: str = "pytorch_state_dict") -> Path | None:
    """The local environment file a weights entry names (``dependencies``), if any."""
    entry = weights_entry(rdf, weight_format)
    if entry is None:
        return None
    deps = entry.get("dependencies")
    source = deps.get("source") if isinstance(deps, dict) else deps
    if not isinstance(source, str) or "://" in source or ".." in Path(source).parts:
        return None
    if source.startswith("conda:"):  # format 0.4: "conda:environment.yaml"
        source = source[len("conda:"):]
    path = root / source
    return path if path.is_file() else None
