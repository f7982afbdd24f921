"""How every samzoo process ends (cli/_guard.run_guarded): the command line and the Action's step share it."""

from __future__ import annotations

import os
import signal
import time

from samzoo.cli._guard import run_guarded
from samzoo.plumbing.errors import ArgumentError, RunTimeFailure


def test_a_real_sigterm_ends_143_and_the_previous_handler_comes_back(capsys):
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []

    def work() -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)  # the handler interrupts this at once
            return 0
        finally:
            cleaned.append(True)  # cleanups run, as for Ctrl-C

    start = time.monotonic()
    assert run_guarded(work, {}) == 143
    assert time.monotonic() - start < 10 and cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before
    assert capsys.readouterr().err == "samzoo: terminated (SIGTERM); nothing half-written was left behind\n"


def test_errors_are_one_line_with_their_exit_codes(capsys):
    def raising(e: BaseException):
        def call():
            raise e
        return call

    assert run_guarded(raising(ArgumentError("quick", "'yes' is not true or false")), {"quick": "quick"},
                       argument_prefix="input ") == 2
    assert run_guarded(raising(RunTimeFailure("the server went away")), {}) == 1
    assert run_guarded(raising(KeyboardInterrupt()), {}) == 130
    assert run_guarded(raising(FileNotFoundError(2, "No such file or directory", "x.zip")), {}) == 1
    assert run_guarded(raising(ZeroDivisionError("division by zero")), {}) == 1
    assert run_guarded(lambda: None, {}) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["samzoo: error: input quick: 'yes' is not true or false", "samzoo: error: the server went away",
                     "samzoo: interrupted", "samzoo: error: x.zip: No such file or directory",
                     "samzoo: internal error: ZeroDivisionError: division by zero; please report this (SAMZOO_DEBUG=1 shows the traceback)"]
