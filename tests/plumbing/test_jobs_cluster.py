"""The job runner on real Dask clusters: a local cluster, and a scheduler + 2 workers started as processes.

Four vit_t packages (three pass, one fails inference) are validated in this process first; each
cluster must give the same reports. A fifth package kills the process that loads it (SIGKILL, as the
system kills a process out of memory): only that package may fail for it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from helpers.cli import REPO, run_cli
from helpers.jobs_helpers import dask_settings, frozen_objects, memory_returned_on_free, worker_identity
from helpers.micro_sam_package import write_micro_sam_package
from samzoo.plumbing.jobs import JobsError, Placement, run_jobs
from samzoo.validate import validate_many

pytestmark = pytest.mark.slow
ZOO_FIELDS = {"id": "testing-mouse", "id_emoji": "🐭", "version": "1.0"}
KILLER = "e_kills_its_process.zip"


@pytest.fixture(scope="module", autouse=True)
def _workers_for_few_jobs():
    """These tests run few jobs on local workers on purpose (crash isolation, settings): one worker per job."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SAMZOO_JOBS_PER_WORKER", "1")
        yield


@pytest.fixture(scope="module")
def packages(tmp_path_factory, vit_t_checkpoint) -> dict[str, Path]:
    """Four vit_t packages (zips and a folder) and the one whose architecture kills its process."""
    d = tmp_path_factory.mktemp("job_packages")
    out = {}
    for name, variant in (("a_good.zip", "good"), ("c_fixed.zip", "fixed_cache"), ("d_broken.zip", "broken_test_output"),
                          (KILLER, "kills_its_process")):
        out[name] = write_micro_sam_package(d / name, vit_t_checkpoint, "vit_t", variant, extra=ZOO_FIELDS)
    out["b_folder"] = d / "b_folder"
    with zipfile.ZipFile(out["a_good.zip"]) as zf:
        zf.extractall(out["b_folder"])
    return dict(sorted(out.items()))


@pytest.fixture(scope="module")
def four(packages) -> list[str]:
    return [str(p) for n, p in packages.items() if n != KILLER]


@pytest.fixture(scope="module")
def in_process(four) -> dict[str, dict]:
    """The reference: each of the four validated in this process, one after the other."""
    return {r.source: _comparable(r.to_dict(with_cover=True)) for r in validate_many(four, quick=True)}


def _comparable(report: dict) -> dict:
    """A report without its timings (the only thing that may differ between runs)."""
    report = {k: v for k, v in report.items() if k != "seconds"}
    report["checks"] = [{k: v for k, v in c.items() if k != "seconds"} for c in report["checks"]]
    return report


def _settings():
    import torch

    return list(warnings.filters), tempfile.tempdir, torch.get_num_threads()


def test_local_cluster_isolates_a_killed_worker(packages, four, in_process):
    before = _settings()
    sources = [str(p) for p in packages.values()]
    done = []
    reports = validate_many(sources, quick=True, jobs=2, on_done=lambda r, n, total: done.append((r.source, n, total)))
    assert _settings() == before, "the caller's warning filters, tempdir and thread count must not change"
    assert [r.source for r in reports] == sources
    assert sorted(s for s, _, _ in done) == sorted(sources) and [n for _, n, _ in done] == [1, 2, 3, 4, 5]
    by_source = {r.source: r for r in reports}
    killed = by_source[str(packages[KILLER])]
    assert not killed.passed
    assert killed.check("source").message.startswith("the worker process running this job died (killed by SIGKILL"), killed.checks
    for source in four:
        assert _comparable(by_source[source].to_dict(with_cover=True)) == in_process[source]
    assert [in_process[s]["status"] for s in four] == ["passed", "passed", "passed", "failed"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; the worker "gpu" offers GPU=1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask_logs")
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])}
    dask = [sys.executable, "-m", "dask"]
    commands = [
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        [*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard", "--name", "cpu"],
        [*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard", "--name", "gpu", "--resources", "GPU=1"],
    ]
    procs = []
    try:
        for i, cmd in enumerate(commands):
            with open(logs / f"{i}.log", "wb") as log:
                procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=logs))
            if i == 0:
                _wait_for_port(port)
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=180)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _wait_for_port(port: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the scheduler did not listen on port {port}")


def test_scheduler_and_two_worker_processes_validate_through_the_cli(tmp_path, packages, in_process, dask_cluster):
    sources = [str(p) for p in packages.values()]
    proc = run_cli("validate", "--scheduler", dask_cluster, "--quick", "--report", str(tmp_path / "r.json"), *sources)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())["packages"]
    assert [p["source"] for p in data] == sources
    by_source = {p["source"]: p for p in data}
    killed = by_source.pop(str(packages[KILLER]))
    assert killed["status"] == "failed"
    assert killed["checks"][0]["message"].startswith("the worker process running this job died"), killed["checks"][0]
    for source, report in by_source.items():  # the JSON report file leaves out the covers
        assert _comparable(report) == {k: v for k, v in in_process[source].items() if k != "cover"}, source


def test_resources_place_jobs_on_the_workers_that_offer_them(dask_cluster):
    anywhere = run_jobs(worker_identity, [()] * 4, Placement.of(scheduler=dask_cluster))
    on_gpu = run_jobs(worker_identity, [()] * 4, Placement.of(scheduler=dask_cluster, resources={"GPU": 1}))
    assert all(o.ok for o in anywhere + on_gpu)
    assert {o.value[1] for o in on_gpu} == {"gpu"}
    with pytest.raises(JobsError, match="no worker of the Dask cluster offers TPU=1"):
        run_jobs(worker_identity, [()], Placement.of(scheduler=dask_cluster, resources={"TPU": 1}))


def test_jobs_keep_freed_memory_on_a_cluster_of_the_callers_and_restore_its_setting():
    """Dask's nannies fix glibc's trim threshold at 64 KiB (3.0 s instead of 1.8 s per vit_t validation):
    samzoo's jobs keep freed memory while they run; the worker's own setting is back afterwards.
    A fresh worker of a cluster samzoo did not start, so that earlier jobs left no free blocks in its heap."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}) as cluster, \
            Client(cluster, set_as_default=False) as client:
        def plain(key: str) -> float:  # a Dask task of someone else's, on the same worker
            return client.submit(memory_returned_on_free, pure=False, key=key).result()

        assert plain("before") > 12  # the worker's setting: a freed block goes back to the system at once
        outcome = run_jobs(memory_returned_on_free, [()], Placement.of(scheduler=cluster.scheduler_address))[0]
        assert outcome.ok and outcome.value < 4, outcome  # samzoo's job: the freed 16 MB stays in the heap
        assert plain("after") > 12  # and the worker's setting is back


def test_local_workers_run_without_the_dashboard_monitors():
    """The local cluster's workers get its settings: no statistical profiler sampling each job every 10 ms."""
    from samzoo.plumbing.jobs.cluster import LOCAL_CLUSTER_SETTINGS

    keys = list(LOCAL_CLUSTER_SETTINGS)
    outcomes = run_jobs(dask_settings, [tuple(keys)] * 2, Placement.of(jobs=2))
    assert [o.value for o in outcomes] == [list(LOCAL_CLUSTER_SETTINGS.values())] * 2
    assert LOCAL_CLUSTER_SETTINGS["distributed.worker.profile.enabled"] is False


def test_jobs_run_with_older_objects_frozen_on_a_cluster_of_the_callers(dask_cluster):
    """What existed before a job is frozen while it runs (its collections skip it), also on workers samzoo did not start."""
    outcomes = run_jobs(frozen_objects, [()] * 2, Placement.of(scheduler=dask_cluster))
    assert all(o.ok for o in outcomes)
    assert all(o.value > 10_000 for o in outcomes), outcomes  # the worker's imports: distributed, tornado, ...


def test_build_all_keeps_going_when_a_worker_is_killed_mid_build(tmp_path, vit_t_checkpoint):
    """Two models build on two local workers; one worker is killed from outside while both are busy."""
    import psutil

    from samzoo.pipeline import build_all

    ckpts = tmp_path / "ckpts"
    ckpts.mkdir()
    models = ["vit_t_lm", "vit_t_em_organelles"]
    for m in models:
        shutil.copy(vit_t_checkpoint, ckpts / f"{m}.pt")
    started = []

    def on_event(event, item):
        if event == "start":
            started.append(item)
            if len(started) == 2:
                _kill_one_worker_soon(psutil)

    entries = build_all(tmp_path / "out", models=models, checkpoints=ckpts, jobs=2, on_event=on_event)
    statuses = sorted(e.status for e in entries)
    assert statuses == ["built", "error"], entries
    dead = next(e for e in entries if e.status == "error")
    assert dead.message.startswith("the worker process running this job died (killed by SIGKILL"), dead.message
    index = json.loads((tmp_path / "out" / "collection.json").read_text())["collection"]
    assert sorted(r["status"] for r in index) == ["built", "error"]
    again = build_all(tmp_path / "out", models=models, checkpoints=ckpts)  # in this process: only the dead one is built
    assert [e.status for e in again] == ["built", "built"]
    assert [e.skipped for e in again] == [e.model_type != dead.model_type for e in again]


def _kill_one_worker_soon(psutil) -> None:
    """SIGKILL one local worker process a few seconds from now (from a thread: the runner keeps running)."""
    import signal
    import threading

    def kill():
        time.sleep(3)
        workers = [p for p in psutil.Process().children(recursive=False) if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2, workers
        os.kill(workers[0].pid, signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()
