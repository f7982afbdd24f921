"""Any zoo package: real non-SAM packages (a 3 x 3 convolution) in three weight formats, one of them remote.

Offline (``SAMZOO_OFFLINE=1``) a remote format is a skip naming it, the local formats are tested, and
no socket is opened (an audit hook in the CLI's processes, installed through ``sitecustomize``);
online or cached the remote format is tested too (a real 127.0.0.1 server); per weight format the
verdict matches ``bioimageio test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import run_cli
from helpers.http_server import FileServer
from helpers.zoo_packages import WEIGHT_FILE, write_zoo_package
from samzoo.validate import validate_package
from samzoo.plumbing.sam_kind import sam_kind
from samzoo.validate.weight_formats_plan import formats_to_test

#: written into a folder put first on PYTHONPATH: every Python process started from there (the CLI and
#: its model worker) records each attempt to resolve a host name or connect, then refuses it
SITECUSTOMIZE = '''import os, sys

def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        with open(os.environ["NETWORK_MARKER"], "a") as f:
            f.write(f"{event} {args!r}\\n")
        raise OSError(f"network use during an offline validation: {event}")

sys.addaudithook(_no_network)
'''


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("zoo")
    return {
        "local": write_zoo_package(base / "local"),
        "broken": write_zoo_package(base / "broken", broken_test_output=True),
        "remote": write_zoo_package(base / "remote", remote_state_dict=f"https://example.invalid/models/{WEIGHT_FILE}"),
    }


@pytest.fixture
def bioimageio_cache(tmp_path, monkeypatch) -> Path:
    """bioimageio.spec's download cache in a folder of the test's own."""
    from bioimageio.spec._internal._settings import settings

    monkeypatch.setattr(settings, "cache_path", tmp_path / "bioimageio-cache")
    return settings.cache_path


def _network_guard(tmp_path: Path) -> tuple[dict[str, str], Path]:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    marker = tmp_path / "network-used.txt"
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "NETWORK_MARKER": str(marker)}, marker


def test_the_network_guard_sees_a_connection(tmp_path):
    """The guard the offline test relies on does catch a connection attempt (else that test could not fail)."""
    env, marker = _network_guard(tmp_path)
    code = ("import socket\n"
            "for attempt in (lambda: socket.getaddrinfo('example.invalid', 443), lambda: socket.socket().connect(('127.0.0.1', 9))):\n"
            "    try:\n        attempt()\n    except OSError:\n        pass\n")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True, timeout=60)
    seen = marker.read_text()
    assert "socket.getaddrinfo ('example.invalid'" in seen and "socket.connect" in seen, seen


def test_offline_remote_first_format_is_skipped_by_name_and_the_local_ones_tested(packages, tmp_path):
    env, marker = _network_guard(tmp_path)
    done = run_cli("validate", str(packages["remote"]), "--json", env={**env, "SAMZOO_OFFLINE": "1"})
    assert not marker.exists(), marker.read_text()
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    checks = {c["name"]: c for c in json.loads(done.stdout)["packages"][0]["checks"]}
    assert checks["inference"]["status"] == "passed" and "(torchscript)" in checks["inference"]["message"], checks["inference"]
    formats = checks["weight_formats"]
    assert formats["status"] == "passed" and "torchscript, onnx reproduce the test outputs" in formats["message"], formats
    assert f"skipped: pytorch_state_dict (its file https://example.invalid/models/{WEIGHT_FILE} is remote" in formats["message"]
    assert "SAMZOO_OFFLINE=1" in formats["message"]
    for name in ("sam_prompts", "sam_image_only", "encoder"):
        assert checks[name]["status"] == "skipped" and "not a SAM package" in checks[name]["message"], checks[name]


def test_online_the_remote_format_is_fetched_and_tested_then_cached_for_offline(tmp_path, monkeypatch, bioimageio_cache):
    with FileServer() as server:
        local = write_zoo_package(tmp_path / "served")  # its weight file, served from 127.0.0.1
        server.add(f"/models/{WEIGHT_FILE}", (local.parent / WEIGHT_FILE).read_bytes())
        url = server.url(f"/models/{WEIGHT_FILE}")
        rdf = write_zoo_package(tmp_path / "remote", remote_state_dict=url)
        from bioimageio.spec import load_model_description

        descr = load_model_description(rdf, perform_io_checks=False)
        assert formats_to_test(descr, offline=True).why_not("pytorch_state_dict") is not None  # not cached yet
        report = validate_package(rdf)
        assert server.gets[f"/models/{WEIGHT_FILE}"] == 1
    inference = report.check("inference")
    assert inference.status == "passed" and "(pytorch_state_dict)" in inference.message, inference
    assert report.check("weight_formats").message.startswith("pytorch_state_dict, torchscript, onnx reproduce"), report.check("weight_formats")
    # the server is gone; the file is in bioimageio's cache with the recorded sha256: offline it is tested again
    assert formats_to_test(descr, offline=True).testable == ("pytorch_state_dict", "torchscript", "onnx")
    monkeypatch.setenv("SAMZOO_OFFLINE", "1")
    again = validate_package(rdf)
    assert again.check("inference").status == "passed" and "(pytorch_state_dict)" in again.check("inference").message


def _bioimageio_test(rdf: Path, tmp_path: Path) -> dict[str, str]:
    """Per weight format, the status of ``bioimageio test``'s 'Reproduce test outputs' step (its own CLI)."""
    summary = tmp_path / f"{rdf.parent.name}.json"
    cli = Path(sys.executable).with_name("bioimageio")
    env = {**os.environ, "BIOIMAGEIO_CACHE_PATH": str(tmp_path / "bioimageio-cache")}
    subprocess.run([str(cli), "test", str(rdf), "--summary", str(summary)], env=env, capture_output=True, timeout=300)
    details = json.loads(summary.read_text())["details"]
    return {d["loc"][1]: d["status"] for d in details if d["name"].startswith("Reproduce test outputs") and len(d["loc"]) > 1}


def _samzoo_verdicts(report) -> dict[str, str]:
    """Per weight format, samzoo's verdict: the one ``inference`` tested, then the lines of ``weight_formats``."""
    verdicts = {}
    for line in report.check("weight_formats").details:
        fmt, status, _ = line.split(": ", 2) if line.count(": ") >= 2 else (*line.split(": ", 1), "")
        verdicts[fmt] = status.split(" ")[0]
    tested = report.check("inference").message
    verdicts.update({f: report.check("inference").status for f in ("pytorch_state_dict", "torchscript", "onnx") if f"({f})" in tested})
    return verdicts


@pytest.mark.skipif(not Path(sys.executable).with_name("bioimageio").exists(), reason="the bioimageio CLI is not installed")
@pytest.mark.parametrize("name, expected", [("local", "passed"), ("broken", "failed")])
def test_verdict_per_weight_format_matches_bioimageio_test(packages, tmp_path, name, expected):
    theirs = _bioimageio_test(packages[name], tmp_path)
    ours = _samzoo_verdicts(validate_package(packages[name]))
    assert theirs == dict.fromkeys(("onnx", "pytorch_state_dict", "torchscript"), expected), theirs
    assert ours == theirs


def test_sam_kind():
    image_masks = {"inputs": [{"id": "image"}, {"id": "box_prompts"}], "outputs": [{"id": "masks"}, {"id": "scores"}]}
    labels = {"inputs": [{"id": "image"}], "outputs": [{"id": "labels", "data": {"type": "uint32"}}]}
    assert sam_kind(image_masks) == "interactive"
    assert sam_kind({**labels, "config": {"samzoo": {"mode": "automatic"}}}) == "automatic"
    assert sam_kind({**labels, "tags": ["segment-anything", "instance-segmentation"]}) == "automatic"
    assert sam_kind(labels) is None  # an instance segmentation model of another family
    assert sam_kind({"inputs": [{"id": "raw"}], "outputs": [{"id": "out"}]}) is None
    assert sam_kind({"inputs": "image", "outputs": None, "config": []}) is None  # malformed rdf: no crash


def test_sam_kind_of_real_packages(packages):
    import yaml

    assert sam_kind(yaml.safe_load(packages["local"].read_text())) is None


def test_offline_a_package_whose_only_format_is_remote_is_not_tested_rather_than_failed(packages, tmp_path, monkeypatch):
    import shutil

    import yaml

    folder = tmp_path / "remote_only"
    shutil.copytree(packages["remote"].parent, folder)
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text())
    rdf["weights"] = {"pytorch_state_dict": rdf["weights"]["pytorch_state_dict"]}
    (folder / "rdf.yaml").write_text(yaml.safe_dump(rdf, sort_keys=False))
    monkeypatch.setenv("SAMZOO_OFFLINE", "1")
    report = validate_package(folder)
    inference = report.check("inference")
    assert inference.status == "skipped" and "not tested offline" in inference.message, inference
    assert f"https://example.invalid/models/{WEIGHT_FILE}" in inference.message
    assert report.check("weight_formats").status == "skipped"
