"""The fuzz suite (issue 12): every malformed input through the real ``samzoo`` command, judged by the oracle.

The inputs are in fuzz_cases.py, the oracle in fuzz_harness.py; ``python scripts/fuzz.py`` runs
the same suite by hand. The oracle itself is tested first, on commands that do break its rules,
so a suite that passes is not a suite that cannot fail.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from helpers.fuzz_harness import Case, Ctx, run_case

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))


def _ctx(tmp_path) -> Ctx:
    return Ctx(root=tmp_path)


def _py(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


@pytest.mark.parametrize(
    "case, problem",
    [
        (Case("oracle/wrong-code", ["list"], (1,)), "exit code: 0"),
        (Case("oracle/missing-words", ["list"], (0,), words="no such phrase"), "message"),
        (Case("oracle/traceback", [], (1,), program=_py("raise RuntimeError('boom')")), "traceback"),
        (Case("oracle/internal", [], (1,), program=_py("import sys; sys.exit('samzoo: internal error: x')")), "internal error"),
        (Case("oracle/hang", [], (0,), program=_py("import time; time.sleep(60)"), timeout=1), "hang"),
        (Case("oracle/memory", [], (0,), program=_py("b = bytearray(b'x') * 2_300_000_000; import time; time.sleep(5)")), "memory"),
        (Case("oracle/disk", [], (0,), program=_py("f = open('big', 'wb'); [f.write(b'x' * 2**24) for _ in range(70)]; f.flush(); import time; time.sleep(2)")), "disk"),
        (Case("oracle/partial", [], (1,), outputs=("work/out.zip",), program=_py("open('out.zip', 'w'); raise SystemExit(1)")), "partial output"),
        (Case("oracle/leftover", [], (0,), program=_py("open('.out.zip.123.part', 'w')")), "partial output"),
        (Case("oracle/marker", [], (0,), program=_py("open('../markers/ran', 'w')")), "code executed"),
        (Case("oracle/escape", [], (0,), program=_py("import os; open(os.environ['ESC'], 'w')"), env={"ESC": "{case}/../../escaped"}), "escape"),
        (Case("oracle/clean", [], (0,), program=_py("print('fine')"), words="fine"), None),
    ],
    ids=lambda x: x.name if isinstance(x, Case) else str(x),
)
def test_the_oracle_catches_what_it_should(tmp_path, case, problem):
    verdict = run_case(case, _ctx(tmp_path))
    if problem is None:
        assert verdict.ok, verdict
    else:
        assert any(p.startswith(problem) for p in verdict.problems), verdict


def test_the_oracle_sees_a_kill(tmp_path):
    killed = Case("oracle/killed", [], (0,), program=_py("import time; time.sleep(30)"), signal_when=(signal.SIGKILL, "", 0.5))
    v = run_case(killed, _ctx(tmp_path))
    assert any(p.startswith("exit code: -9") for p in v.problems), v


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_fuzz_suite(tmp_path):
    from fuzz import run_suite

    lines: list[str] = []
    verdicts = run_suite(tmp_path, echo=lines.append)
    assert len({v.name for v in verdicts}) >= 60
    assert {v.name.split("/")[0] for v in verdicts} >= {"validate", "report", "build", "fetch", "store"}
    bad = [f"{v.name}: {'; '.join(v.problems)}" for v in verdicts if not v.ok]
    assert not bad, "\n".join(bad)
    assert max(v.peak_mb for v in verdicts) < 2000
    assert max(v.disk_mb for v in verdicts) < 1000
