"""Shared fixtures: random-initialised SAM checkpoints of the true architectures (no downloads)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=FutureWarning, module="timm")
warnings.filterwarnings("ignore", category=UserWarning, module="mobile_sam")

#: The files that take longest (``pytest --durations``, 2 xdist processes, 2026-12-06: 200-300 s each),
#: run first: `make test` hands each file to one of its processes in collection order, so a long file
#: collected last would run alone at the end.
LONGEST_FIRST = ("test_publish_zoo.py", "test_pre_commit_hook.py", "test_model_worker.py", "test_inference.py", "test_one_package.py", "test_automatic.py", "test_fuzz.py",
                 "test_exports.py", "test_diagnoses.py", "test_jobs_cluster.py", "test_pipeline.py", "test_interactive.py",
                 "test_core_matrix.py", "test_cmd_build.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keeps its order


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Every test gets its own cache and no user catalog, and never touches the network by accident."""
    monkeypatch.setenv("SAMZOO_CACHE_DIR", str(tmp_path / "samzoo-cache"))
    monkeypatch.delenv("SAMZOO_CATALOG", raising=False)
    monkeypatch.delenv("SAMZOO_MIRRORS", raising=False)
    monkeypatch.delenv("SAMZOO_OFFLINE", raising=False)
    monkeypatch.setenv("MICROSAM_CACHEDIR", str(tmp_path / "microsam-cache"))
    # the default user catalog (<user config dir>/samzoo/catalog) must not leak into tests
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _checkpoint(tmp_path_factory, encoder: str) -> Path:
    from samzoo.plumbing.sam_models import save_random_checkpoint

    path = tmp_path_factory.mktemp(f"ckpt_{encoder}") / f"{encoder}_random.pt"
    save_random_checkpoint(path, encoder, seed=0)
    return path


@pytest.fixture(scope="session")
def vit_t_checkpoint(tmp_path_factory) -> Path:
    """A random-initialised MobileSAM (vit_t) state dict file, seed 0 (~40 MB)."""
    return _checkpoint(tmp_path_factory, "vit_t")


@pytest.fixture(scope="session")
def hypha_zoo(tmp_path_factory):
    """A real zoo upload server (hypha + moto S3 + a fault proxy) on 127.0.0.1 with the bioimage.io collection."""
    from helpers.hypha_zoo import HyphaZoo

    with HyphaZoo.start(tmp_path_factory.mktemp("hypha")) as zoo:
        yield zoo
