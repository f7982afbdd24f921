"""``ValidationOptions``: one frozen, keyword-only object, checked once, when it is made; the entries take it."""

from __future__ import annotations

import dataclasses

import pytest

from helpers.cli import run_cli
from samzoo.plumbing.errors import ArgumentError
from samzoo.validate import ValidationOptions, validate_many, validate_package


def test_defaults_and_normalised_values(tmp_path):
    options = ValidationOptions(core_versions=["0.10.4", "0.10.4"], catalog=tmp_path)
    assert options.device == "cpu" and not options.quick and not options.isolate and options.jobs == 1
    assert options.core_versions == ("0.10.4",) and options.catalog == tmp_path.resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.quick = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        ValidationOptions("cpu")  # type: ignore[misc]  # keyword-only


@pytest.mark.parametrize(
    "keywords, argument",
    [
        ({"device": "tpu"}, "device"),
        ({"weight_format": "pickle"}, "weight_format"),
        ({"catalog": "/no/such/catalog"}, "catalog"),
        ({"core_versions": ["latest"]}, "core_versions"),
        ({"jobs": 0}, "jobs"),
        ({"jobs": 2, "scheduler": "tcp://127.0.0.1:1"}, "jobs"),
        ({"resources": {"GPU": -1}}, "resources"),
    ],
)
def test_a_bad_option_names_itself(keywords, argument):
    with pytest.raises(ArgumentError) as info:
        ValidationOptions(**keywords)
    assert info.value.argument == argument and "\n" not in str(info.value)


def test_a_cluster_resolves_the_device_on_its_workers():
    assert ValidationOptions(device="cuda", scheduler="tcp://127.0.0.1:1").device == "cuda"  # not checked here


def test_the_entries_take_options_or_keywords_not_both(tmp_path):
    with pytest.raises(ArgumentError, match="not both"):
        validate_package(tmp_path, ValidationOptions(), quick=True)
    with pytest.raises(ArgumentError) as info:
        validate_package(tmp_path, quik=True)
    assert info.value.argument == "quik" and "choose from" in str(info.value)
    with pytest.raises(ArgumentError, match="not a ValidationOptions"):
        validate_many([tmp_path], {"quick": True})  # type: ignore[arg-type]
    with pytest.raises(ArgumentError) as info:
        validate_many([tmp_path], device="tpu")
    assert info.value.argument == "device"


def test_device_auto_without_gpu_is_cpu():
    import torch

    assert ValidationOptions(device="auto").device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_the_cli_maps_flags_to_the_options_and_their_errors_to_flags(tmp_path):
    proc = run_cli("validate", "--weight-format", "pickle", str(tmp_path))
    assert proc.returncode == 2 and "--weight-format: unknown weight format 'pickle'" in proc.stderr, proc.stderr
    proc = run_cli("validate", "--core", "latest", str(tmp_path))
    assert proc.returncode == 2 and "--core: 'latest' is not a release number" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_options_by_name_or_position(tmp_path):
    """No rdf in the folder: ``source`` fails, nothing runs; the report records the options it ran with."""
    for report in (validate_package(tmp_path, options=ValidationOptions(quick=True)),
                   validate_package(tmp_path, ValidationOptions(quick=True))):
        assert report.quick and report.check("source").status == "failed" and "has no rdf.yaml" in report.check("source").message
