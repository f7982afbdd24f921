"""The model checks in a worker process of their own: same verdicts, crashes contained, nothing left."""

from __future__ import annotations


import pytest

from helpers.validate_packages import variant
from samzoo.validate import validate_package


def test_isolated_model_checks_match_in_process(good_folder, good_report):
    """The worker process gives the same verdicts and messages as running the checks in this process.

    (Measured differences, e.g. the encoder's max |diff|, may differ in the last digits: another process.)"""
    isolated = validate_package(good_folder, isolate=True)
    assert [(c.name, c.status) for c in isolated.checks] == [(c.name, c.status) for c in good_report.checks]
    for name in ("inference", "size_probes", "sam_prompts", "sam_image_only"):
        assert isolated.check(name).message == good_report.check(name).message
    assert isolated.check("encoder").message.startswith("the image encoder reproduces the test embeddings")


def test_a_package_that_kills_its_process_fails_alone(pkg_dir, vit_t_checkpoint, good_folder):
    """validate_many (as the CLI): the model process dies with one package; the next gets a new one."""
    from samzoo.validate import validate_many

    killer = variant(pkg_dir, vit_t_checkpoint, "kills_its_process")
    reports = validate_many([killer, good_folder], quick=True)
    check = reports[0].check("inference")
    assert check.status == "failed" and "model process ended" in check.message and "SIGKILL" in check.message, check
    assert "\n" not in check.message and "Traceback" not in check.message
    assert reports[0].check("sam_prompts").status == "skipped"
    assert [c.name for c in reports[0].checks if c.status == "failed"] == ["inference"]
    assert reports[1].passed, [c for c in reports[1].checks if c.status == "failed"]


def test_a_dropped_worker_leaves_no_process(bad_inputs):
    """Files fail: the model checks started beside them are dropped and their process stopped."""
    import psutil

    from samzoo.validate.model_worker import ModelWorker
    from samzoo.validate import ValidationOptions
    from samzoo.validate.one_package import validate_one

    def workers() -> list:
        return [p for p in psutil.Process().children(recursive=True) if "model_worker" in " ".join(p.cmdline())]

    with ModelWorker() as worker:
        report = validate_one(bad_inputs["missing_weights"], ValidationOptions(), worker)
        assert report.check("files").status == "failed" and report.check("inference").status == "skipped"
        assert workers() == []  # stopped at once, not left running the model checks
    assert workers() == []


@pytest.mark.slow
def test_interrupted_validation_leaves_nothing(good_zip, tmp_path):
    """Ctrl-C while the model checks run: exit 130, the worker process stopped, no temporary files left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "samzoo", "validate", str(good_zip)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.time() + 180
    while not list(scratch.glob("samzoo-validate-*/model")):  # the worker is running the model checks
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    workers = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert workers
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(scratch.iterdir()) == []
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)
