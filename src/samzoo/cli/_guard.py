"""How a samzoo process ends: a call run under the one-line error rules, with its exit code.

Shared by ``samzoo COMMAND`` and the GitHub Action's step (``python -m samzoo.cli.github_action``): errors
derived from :class:`~samzoo.plumbing.errors.SamzooError` are one line and their exit code, an argument named by
the library is said as the caller spells it, Ctrl-C ends 130, SIGTERM 143, a closed stdout 141, and a bug is one
line too (``SAMZOO_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Mapping

from ..plumbing.errors import ArgumentError, SamzooError, describe_error


class Terminated(KeyboardInterrupt):
    """SIGTERM (``timeout``, Slurm, ``docker stop``, a cancelled CI job), raised like Ctrl-C so every cleanup runs."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def run_guarded(call: Callable[[], int | None], argument_names: Mapping[str, str], *, argument_prefix: str = "") -> int:
    """``call()``'s exit code, or the exit code of what it raised, said in one line on stderr.

    ``argument_names`` maps the library's argument names to the caller's (``version`` -> ``--version``);
    ``argument_prefix`` goes before them (``"input "`` for the Action's inputs).
    """
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        return int(call() or 0)
    except ArgumentError as e:  # the library names the argument; say it as the caller spells it
        print(f"samzoo: error: {argument_prefix}{e.render(argument_names)}", file=sys.stderr)
        return e.exit_code
    except SamzooError as e:
        print(f"samzoo: error: {e}", file=sys.stderr)
        return e.exit_code
    except Terminated:
        print("samzoo: terminated (SIGTERM); nothing half-written was left behind", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("samzoo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`samzoo list | head -1`): stop quietly, as Unix tools do
        return stdout_closed()
    except OSError as e:  # a file or folder the library did not expect to fail (the class, not one instance)
        where = f"{e.filename}: " if e.filename else ""
        print(f"samzoo: error: {where}{e.strerror or type(e).__name__}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: one line, the traceback only on request
        if os.environ.get("SAMZOO_DEBUG"):
            raise
        print(f"samzoo: internal error: {describe_error(e)}; please report this (SAMZOO_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def stdout_closed() -> int:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again; exit 141 (128 + SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141
