"""The job runner's arguments and its in-process mode (fast); the clusters are in test_jobs_cluster.py."""

from __future__ import annotations

import warnings

import pytest

from helpers.cli import run_cli
from helpers.jobs_helpers import fails_or_warns
from samzoo.cli._jobs import parse_resources
from samzoo.plumbing.errors import ArgumentError
from samzoo.plumbing.jobs import Placement, run_jobs


def test_placement_checks_each_argument():
    assert Placement.of(2).jobs == 2 and not Placement.of(2).in_process and Placement.of().in_process
    assert Placement.of(scheduler=" tcp://10.0.0.5:8786 ").scheduler == "tcp://10.0.0.5:8786"
    assert Placement.of(resources={"GPU": 1}).resources == (("GPU", 1.0),)
    for kwargs, argument in (
        ({"jobs": 0}, "jobs"), ({"jobs": True}, "jobs"), ({"jobs": 2, "scheduler": "tcp://h:1"}, "jobs"),
        ({"scheduler": " "}, "scheduler"), ({"resources": {"GPU": 0}}, "resources"), ({"resources": {"": 1}}, "resources"),
    ):
        with pytest.raises(ArgumentError) as e:
            Placement.of(**kwargs)
        assert e.value.argument == argument and "--" not in str(e.value), e.value


def test_cli_parses_resources():
    assert parse_resources(["GPU=1", "MEM=2e9,TPU=0.5"]) == {"GPU": 1.0, "MEM": 2e9, "TPU": 0.5}
    for bad in (["GPU"], ["=1"], ["GPU=one"]):
        with pytest.raises(ArgumentError, match="NAME=AMOUNT"):
            parse_resources(bad)


def test_in_process_jobs_report_errors_and_keep_the_callers_warning_filters():
    before = list(warnings.filters)
    started, done = [], []
    outcomes = run_jobs(fails_or_warns, [(0,), (1,), (2,)], on_start=started.append, on_done=done.append)
    assert [o.value for o in outcomes] == [0, None, 20]
    assert outcomes[1].error == "RuntimeError: job 1 is broken on purpose second line" and not outcomes[1].ok
    assert started == [0, 1, 2] and [o.index for o in done] == [0, 1, 2]
    assert warnings.filters == before
    assert run_jobs(fails_or_warns, []) == []


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1", "x.zip"], "--jobs: give either"),
        (["validate", "--resources", "GPU", "x.zip"], "--resources: 'GPU' is not NAME=AMOUNT"),
        (["build", "--all", "--checkpoints", "c", "-o", "o", "--resources", "GPU=-1"], "--resources: GPU=-1.0"),
    ],
)
def test_cli_job_options_usage_errors_exit_2(args, words, tmp_path):
    (tmp_path / "x.zip").write_bytes(b"")
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_unreachable_scheduler_is_one_line_exit_1(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"")
    proc = run_cli("validate", "--scheduler", "tcp://127.0.0.1:1", "x.zip", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_scheduler_that_never_answers_is_one_line_exit_1_within_the_connect_timeout(tmp_path):
    """A server that accepts the connection and says nothing held `validate --scheduler` for good."""
    import socket
    import threading

    from samzoo.plumbing.jobs.cluster import CONNECT_TIMEOUT_S

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(server.accept()[0]) for _ in range(8)], daemon=True).start()
    (tmp_path / "x.zip").write_bytes(b"")
    (tmp_path / "tmp").mkdir()
    try:
        proc = run_cli("validate", "--scheduler", f"tcp://127.0.0.1:{server.getsockname()[1]}", "x.zip", cwd=tmp_path,
                       env={"TMPDIR": str(tmp_path / "tmp")}, timeout=CONNECT_TIMEOUT_S + 50)
    finally:
        server.close()
    assert proc.returncode == 1, proc.stderr
    assert "did not answer within" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert accepted, "the client never connected: the test did not test a silent server"
    assert not list((tmp_path / "tmp").iterdir())


def test_older_objects_are_frozen_inside_the_block_only():
    import gc

    from samzoo.plumbing.jobs.worker import older_objects_frozen

    assert gc.get_freeze_count() == 0
    with older_objects_frozen():
        assert gc.get_freeze_count() > 1000
        with older_objects_frozen():  # nested: the outer freeze stays
            pass
        assert gc.get_freeze_count() > 1000
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a process that froze its objects itself keeps them frozen
    try:
        with older_objects_frozen():
            pass
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_local_workers_start_only_for_enough_jobs(monkeypatch):
    """One local worker per JOBS_PER_WORKER calls, at most jobs; fewer than two workers' worth run here."""
    from samzoo.plumbing.jobs import JOBS_PER_WORKER

    monkeypatch.delenv("SAMZOO_JOBS_PER_WORKER", raising=False)
    two = Placement.of(2)
    assert JOBS_PER_WORKER == 10
    assert two.for_calls(19).in_process and two.for_calls(20).jobs == 2 and two.for_calls(100).jobs == 2
    assert Placement.of(4).for_calls(29).jobs == 2 and Placement.of(4).for_calls(40).jobs == 4
    assert Placement.of(scheduler="tcp://127.0.0.1:1").for_calls(1).scheduler == "tcp://127.0.0.1:1"
    monkeypatch.setenv("SAMZOO_JOBS_PER_WORKER", "1")
    assert two.for_calls(2).jobs == 2 and two.for_calls(1).in_process
