"""Run jobs on Dask: a local cluster of single-threaded worker processes, or a running scheduler.

Crash isolation rests on three settings. Each worker holds at most one job at a time: the runner
hands the scheduler only as many jobs as there are worker slots, and hands on the next one when a
job finishes; so a worker that dies takes exactly one job with it. The local cluster's scheduler
gives up on a job after its first worker died (``allowed-failures: 0``) instead of trying it on
three more workers. Its nannies start a fresh worker in place of a dead one.

A scheduler of your own applies its own ``allowed-failures`` (Dask's default: a job is tried on 4
workers before it counts as failed); start it with ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0``
for the local cluster's behaviour.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import time
import uuid
from collections import deque
from typing import Any
from collections.abc import Callable, Iterator

from . import JobsError, Outcome, Placement, describe_error
from .worker import call

CONNECT_TIMEOUT_S = 10
WORKERS_TIMEOUT_S = 120
#: how long a job that needs resources waits for a worker offering them, once a worker has joined
RESOURCES_WAIT_S = 15
DEATH_REPORT_WAIT_S = 5
#: Dask settings of the local cluster (its nannies pass them on to the workers). The first two are
#: crash isolation (module docstring). The others stop what only a dashboard would show, which cost
#: 10% of the CPU time of a vit_t package's validation on a 2-core machine: the workers' statistical
#: profiler (samples the running job's stack every 10 ms, taking the GIL), the event-loop tick
#: (every 20 ms in each process) and the system monitor (psutil, every 500 ms).
LOCAL_CLUSTER_SETTINGS = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
_DEATH = re.compile(r"Worker process (\d+) (was killed by signal (\d+)|was killed by unknown signal|exited with status (-?\d+))")


def _distributed():
    try:
        import distributed
    except ImportError as e:
        raise JobsError(
            f"parallel jobs need Dask's `distributed` package, which cannot be imported ({e}): pip install 'samzoo[distributed]'"
        ) from None
    return distributed


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask where there is one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (macOS, Windows)
        return os.cpu_count() or 1


def local_worker_env(workers: int) -> dict[str, str]:
    """The environment of each local worker: the CPUs split between the workers (torch reads it at import)."""
    threads = str(max(1, available_cpus() // workers))
    return {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}


_CRASH_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT"}


def death_cause(how: str) -> str:
    """``how`` a worker process ended, with what usually causes it."""
    if "SIGKILL" in how:
        return f"{how}: killed, e.g. by the system when out of memory"
    if any(name in how for name in _CRASH_SIGNALS):
        return f"{how}: a crash in native code"
    return how


class _DeathLog(logging.Handler):
    """Collects the local nannies' reports of worker processes that died: pid -> how."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.by_pid: dict[int, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        m = _DEATH.search(record.getMessage())
        if not m:
            return
        if m.group(3):
            sig = int(m.group(3))
            how = f"killed by {signal.Signals(sig).name}" if sig in signal.Signals._value2member_map_ else f"killed by signal {sig}"
        elif m.group(4):
            how = f"exited with status {m.group(4)}"
        else:
            how = "killed by an unknown signal"
        self.by_pid[int(m.group(1))] = how

    def wait_for(self, pid: int, seconds: float = DEATH_REPORT_WAIT_S) -> str | None:
        """How ``pid`` ended; the scheduler may notice a death before its nanny reports it, so wait a little."""
        end = time.monotonic() + seconds
        while pid not in self.by_pid and time.monotonic() < end:
            time.sleep(0.05)
        return self.by_pid.get(pid)


@contextlib.contextmanager
def _nanny_deaths() -> Iterator[_DeathLog]:
    log = _DeathLog()
    logger = logging.getLogger("distributed.nanny")
    logger.addHandler(log)
    try:
        yield log
    finally:
        logger.removeHandler(log)


def _client_within(distributed: Any, address: str, seconds: float) -> Any:
    """A client of the scheduler at ``address``, or TimeoutError after ``seconds`` (and a grace second).

    ``Client(timeout=)`` bounds the TCP connection, not the handshake: a server that accepts and never
    answers would hold it for good, so the client is made in a daemon thread that is given up on.
    """
    import threading

    made: dict[str, Any] = {}

    def make() -> None:
        try:
            made["client"] = distributed.Client(address, timeout=seconds, set_as_default=False)
        except BaseException as e:  # handed to the caller's thread
            made["error"] = e

    thread = threading.Thread(target=make, name="samzoo-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1)
    if "error" in made:
        raise made["error"]
    if "client" not in made:
        raise TimeoutError(f"it accepted the connection but did not answer within {seconds:g} s")
    return made["client"]


@contextlib.contextmanager
def connect(placement: Placement) -> Iterator[tuple[Any, bool]]:
    """A client of the placement's cluster and whether the runner started that cluster itself."""
    distributed = _distributed()
    if placement.scheduler:
        try:
            client = _client_within(distributed, placement.scheduler, CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as e:
            raise JobsError(
                f"cannot reach the Dask scheduler at {placement.scheduler}: {describe_error(e)}; check the address and that it runs"
            ) from None
        with client:
            yield client, False
        return
    import dask

    with dask.config.set(LOCAL_CLUSTER_SETTINGS):
        cluster = distributed.LocalCluster(
            n_workers=placement.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, memory_limit=0, silence_logs=logging.CRITICAL,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},  # its HTTP server: any free port
            resources=dict(placement.resources) or None, env=local_worker_env(placement.jobs),
        )
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client, True


def worker_slots(client, placement: Placement) -> int:
    """How many jobs the cluster runs at once: worker threads, or the workers' units of the resources.

    A worker offering the resources may join (or come back from a restart) after the first one:
    it is waited for up to :data:`RESOURCES_WAIT_S`."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except Exception:
        raise JobsError(f"no Dask worker joined the scheduler in {WORKERS_TIMEOUT_S} s: start workers (dask worker ADDRESS)") from None
    deadline = time.monotonic() + RESOURCES_WAIT_S
    while (slots := _slots(client.scheduler_info()["workers"].values(), placement)) < 1 and time.monotonic() < deadline:
        time.sleep(0.25)
    if slots < 1:
        wanted = ", ".join(f"{n}={a:g}" for n, a in placement.resources)
        raise JobsError(f"no worker of the Dask cluster offers {wanted}: start workers with those resources (dask worker --resources {wanted})")
    return slots


def _slots(workers, placement: Placement) -> int:
    slots = 0
    for info in workers:
        offered = info.get("resources") or {}
        units = [int(offered.get(name, 0) // amount) for name, amount in placement.resources]
        slots += min(units) if units else int(info.get("nthreads", 1))
    return slots


def _why_failed(future, deaths: _DeathLog | None) -> str:
    """The one-line cause of a job that did not return."""
    from distributed.scheduler import KilledWorker

    e = future.exception()
    if isinstance(e, KilledWorker):
        worker = e.last_worker
        how = deaths.wait_for(worker.pid) if deaths is not None and worker.pid else None
        if how:
            return f"the worker process running this job died ({death_cause(how)})"
        return f"the worker process running this job died (worker {worker.address}; its log says why)"
    return f"the job did not finish: {describe_error(e)}"


def run_on_dask(
    fn: Callable[..., Any], calls: list[tuple], placement: Placement,
    on_start: Callable[[int], None] | None, on_done: Callable[[Outcome], None] | None,
) -> list[Outcome]:
    """Every call on the placement's Dask cluster, at most one per worker slot at a time."""
    distributed = _distributed()
    outcomes: list[Outcome | None] = [None] * len(calls)
    run = uuid.uuid4().hex[:12]
    with connect(placement) as (client, owned), _nanny_deaths() as deaths:
        pending = deque(range(len(calls)))
        running: dict[Any, int] = {}
        finished = distributed.as_completed(loop=client.loop)

        def submit(i: int) -> None:
            future = client.submit(call, fn, calls[i], owned, key=f"samzoo-{getattr(fn, '__name__', 'job')}-{run}-{i}",
                                   pure=False, resources=dict(placement.resources) or None)
            running[future] = i
            finished.add(future)
            if on_start:
                on_start(i)

        for _ in range(min(worker_slots(client, placement), len(calls))):
            submit(pending.popleft())
        for future in finished:
            i = running.pop(future)
            if future.status == "finished":
                outcome = Outcome(i, value=future.result())
            else:
                outcome = Outcome(i, error=_why_failed(future, deaths if owned else None))
            future.release()
            outcomes[i] = outcome
            if on_done:
                on_done(outcome)
            if pending:
                submit(pending.popleft())
    return outcomes  # type: ignore[return-value]
