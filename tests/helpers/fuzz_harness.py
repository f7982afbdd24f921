"""The fuzz oracle: run one malformed input through the real ``samzoo`` command and judge what happened.

Each :class:`Case` runs ``python -m samzoo ARGS`` in a fresh subprocess inside its own
folder (cwd, ``HOME``, ``TMPDIR``, ``XDG_*``, ``SAMZOO_CACHE_DIR`` and ``SAMZOO_CATALOG``
all point inside it). While it runs, a watchdog samples the memory of its process tree
and the disk use of its folder, and kills it past the caps. Afterwards the oracle fails
the case on any of:

* ``traceback``: "Traceback (most recent call last)" on stdout or stderr;
* ``exit code``: an exit code other than the documented ones for that input;
* ``escape``: a file written outside the case folder (sentinel paths the input aims at,
  or any new entry next to the case folder);
* ``code executed``: a file in the case's ``markers/`` folder, where code hidden in the
  input (pickles, YAML tags, npy object arrays) would write;
* ``kept``: a file stored where the input must never land (e.g. a malicious pickle in the cache);
* ``temp left``: anything left in the run's ``TMPDIR`` after it ended;
* ``partial output``: a declared output left behind by a failed run, or a temporary
  ``*.part`` / ``*.tmp`` / ``.*.build`` left anywhere in the case folder;
* ``hang``: the run took longer than its time cap;
* ``memory``: the process tree's resident memory went over :data:`MEMORY_CAP` (2 GB);
* ``disk``: the case folder grew past :data:`DISK_CAP` (1 GB);
* ``message``: the phrase the case expects is not in the output (the input failed for
  the wrong reason).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
import contextlib

REPO = Path(__file__).resolve().parents[2]
MEMORY_CAP = 2 * 1000**3
DISK_CAP = 1000**3
LEFTOVER = re.compile(r"(\.part|\.tmp|\.build)$")


@dataclass
class Ctx:
    """What every case may use: the fuzz root and shared inputs (built once, read only)."""

    root: Path
    shared: dict[str, object] = field(default_factory=dict)


@dataclass
class Case:
    """One malformed input and what the command must do with it."""

    name: str
    args: list[str]
    codes: tuple[int, ...]
    setup: Callable[[Path, Ctx], None] | None = None
    words: str | None = None                   # must appear in stdout + stderr
    outputs: tuple[str, ...] = ()              # relative to the case folder; must not exist after a failure
    sentinels: tuple[str, ...] = ()            # absolute paths the input tries to write
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 90.0
    signal_when: tuple[int, str, float] | None = None   # (signal, glob that must appear in the case folder, extra delay)
    then: Case | None = None                 # a second run in the same folder (e.g. after a kill)
    parallel: int = 1                          # this many identical processes at once (each judged)
    program: tuple[str, ...] = ()              # run this instead of ``python -m samzoo`` (the oracle's own tests)
    forbidden: tuple[str, ...] = ()            # globs (in the case folder) that must match nothing afterwards

    @property
    def family(self) -> str:
        return self.name.split("/")[0]


@dataclass
class Verdict:
    name: str
    code: int | None
    seconds: float
    peak_mb: float
    disk_mb: float
    problems: list[str]
    output: str

    @property
    def ok(self) -> bool:
        return not self.problems


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        todo.extend(_children(p))
    return total


def _hwm(pid: int) -> int:
    """The peak resident memory of ``pid`` since its exec (VmHWM; rusage's maxrss would include our own, inherited)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _du(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
    return total


def case_env(folder: Path, case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMZOO_", "GITHUB_", "MICROSAM_"))}
    src = str(REPO / "src")
    env.update(
        HOME=str(folder / "home"), TMPDIR=str(folder / "tmp"), XDG_CONFIG_HOME=str(folder / "home/.config"),
        XDG_CACHE_HOME=str(folder / "home/.cache"), SAMZOO_CACHE_DIR=str(folder / "cache"),
        SAMZOO_CATALOG=str(folder / "catalog"), MICROSAM_CACHEDIR=str(folder / "microsam"),
        PYTHONPATH=src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
    )
    for k, v in case.env.items():
        env[k] = v.replace("{case}", str(folder))
    return env


def _run_process(folder: Path, case: Case, ctx: Ctx, index: int = 0) -> tuple[int | None, float, int, int, str]:
    """Run the command under the watchdog: (exit code or None when killed by us, seconds, peak rss, peak disk, output)."""
    out_path, err_path = folder / f"stdout{index}.txt", folder / f"stderr{index}.txt"
    args = [a.replace("{case}", str(folder)) for a in case.args]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [*(case.program or (sys.executable, "-m", "samzoo")), *args], cwd=folder / "work", env=case_env(folder, case),
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    start = time.monotonic()
    peak_rss = peak_disk = 0
    killed: str | None = None
    sent = False
    last_disk = 0.0
    status, _rusage = 0, None
    while True:
        pid, status, _rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        elapsed = time.monotonic() - start
        peak_rss = max(peak_rss, _rss(proc.pid), _hwm(proc.pid))
        if elapsed - last_disk >= 0.5:
            peak_disk, last_disk = max(peak_disk, _du(folder)), elapsed
        if case.signal_when and not sent:
            sig, pattern, delay = case.signal_when
            if (not pattern and elapsed > delay) or (pattern and any(folder.glob(pattern))):
                time.sleep(delay if pattern else 0)
                os.kill(proc.pid, sig)
                sent = True
        if killed is None:
            if elapsed > case.timeout:
                killed = f"hang: still running after {case.timeout:.0f} s"
            elif peak_rss > MEMORY_CAP:
                killed = f"memory: {peak_rss / 1e9:.2f} GB resident"
            elif peak_disk > DISK_CAP:
                killed = f"disk: {peak_disk / 1e9:.2f} GB written"
            if killed:
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.05)
    seconds = time.monotonic() - start
    with contextlib.suppress(OSError):  # the process group may have left grandchildren behind (validation workers)
        os.killpg(proc.pid, signal.SIGKILL)
    peak_disk = max(peak_disk, _du(folder))
    code = os.waitstatus_to_exitcode(status)
    output = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    if killed:
        output = f"[fuzz: killed, {killed}]\n" + output
        code = None
    return code, seconds, peak_rss, peak_disk, output


def prepare_folder(ctx: Ctx, case: Case) -> Path:
    folder = ctx.root / "cases" / case.name.replace("/", "__")
    for sub in ("home", "tmp", "work", "catalog", "markers"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    if case.setup:
        case.setup(folder, ctx)
    return folder


def judge(case: Case, folder: Path, ctx: Ctx, run: tuple, before_siblings: set[str]) -> list[str]:
    code, _seconds, peak, disk, output = run
    problems: list[str] = []
    if code is None:
        problems.append(output.splitlines()[0].removeprefix("[fuzz: killed, ").rstrip("]"))
    elif code not in case.codes:
        problems.append(f"exit code: {code}, expected {' or '.join(map(str, case.codes))}")
    if "Traceback (most recent call last)" in output:
        problems.append("traceback")
    if "internal error" in output:
        problems.append("internal error (an exception samzoo did not expect)")
    if peak > MEMORY_CAP and not any(p.startswith("memory") for p in problems):
        problems.append(f"memory: {peak / 1e9:.2f} GB resident")
    if disk > DISK_CAP and not any(p.startswith("disk") for p in problems):
        problems.append(f"disk: {disk / 1e9:.2f} GB written")
    markers = folder / "markers"
    executed = sorted(p.name for p in markers.iterdir()) if markers.is_dir() else []
    if executed:
        problems.append(f"code executed: marker {executed[0]}")
    problems.extend(f"escape: {s} was written" for s in case.sentinels if os.path.lexists(s.replace("{case}", str(folder))))
    new = sorted(set(os.listdir(folder.parent.parent)) - before_siblings)
    if new:
        problems.append(f"escape: {new[0]} appeared next to the cases")
    for pattern in case.forbidden:
        hits = sorted(folder.glob(pattern))
        if hits:
            problems.append(f"kept: {hits[0].relative_to(folder)} must not be stored")
    if code != 0:
        problems.extend(f"partial output: {o} exists after a failed run" for o in case.outputs if os.path.lexists(folder / o))
    killed_on_purpose = all(c < 0 for c in case.codes)  # SIGKILL cannot clean up: its follow-up run must
    for dirpath, dirs, files in ([] if killed_on_purpose else os.walk(folder)):
        problems.extend(f"partial output: {os.path.relpath(os.path.join(dirpath, name), folder)} left behind"
                        for name in dirs + files if LEFTOVER.search(name))
    tmp = folder / "tmp"
    left = sorted(tmp.iterdir()) if tmp.is_dir() and code is not None and not killed_on_purpose else []
    if left:
        problems.append(f"temp left: tmp/{left[0].name} was not removed")
    said = output.replace(str(folder), "<case>").lower()  # the words must be the message's, not the case's path
    if case.words and case.words.lower() not in said and code is not None:
        problems.append(f"message: {case.words!r} not in the output")
    return problems


def run_case(case: Case, ctx: Ctx) -> Verdict:
    """Set the case up, run it (and its follow-up), and judge it."""
    try:
        folder = prepare_folder(ctx, case)
    except Exception as e:  # a broken generator is a failed case, not a crashed suite
        return Verdict(case.name, None, 0.0, 0.0, 0.0, [f"setup: {type(e).__name__}: {e}"], "")
    total = 0.0
    peak = disk = 0
    problems: list[str] = []
    outputs = []
    step: Case | None = case
    while step is not None:
        siblings = set(os.listdir(ctx.root))
        runs: list[tuple] = [()] * step.parallel

        def one(i: int, step: Case = step, runs: list = runs) -> None:
            runs[i] = _run_process(folder, step, ctx, i)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(step.parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for run in runs:
            total = max(total, run[1]) if step.parallel > 1 else total + run[1]
            peak, disk = max(peak, run[2]), max(disk, run[3])
            problems += [p for p in judge(step, folder, ctx, run, siblings) if p not in problems]
            outputs.append(run[4])
        step = step.then
    return Verdict(case.name, run[0], total, peak / 1e6, disk / 1e6, problems, "\n---\n".join(outputs))


def run_all(cases: list[Case], ctx: Ctx, jobs: int = 2, on_done: Callable[[Verdict], None] | None = None) -> list[Verdict]:
    """Run every case, ``jobs`` at a time (signal and concurrency cases alone), in the order given."""
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("case names must be unique")
    verdicts: dict[str, Verdict] = {}
    lock = threading.Lock()
    queue = list(cases)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                case = queue.pop(0)
            v = run_case(case, ctx)
            with lock:
                verdicts[case.name] = v
                if on_done:
                    on_done(v)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [verdicts[n] for n in names]
