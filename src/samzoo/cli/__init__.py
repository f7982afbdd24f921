"""The ``samzoo`` command line: a thin layer over the Python API.

Each ``cmd_*.py`` module in this package adds its sub-commands through
``register(subparsers)``; handlers take the parsed arguments and return an
exit code. Only this package prints and parses arguments. Errors derived from
:class:`samzoo.plumbing.errors.SamzooError` are printed as one line, without a
traceback, and end with their exit code: 0 ok, 1 a failure at run time (network,
hash mismatch, failed validation), 2 a usage error (bad arguments, unknown names,
missing files given on the command line), 130 interrupted, 141 stdout closed early.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys

from ..plumbing.errors import ArgumentError, SamzooError


def _flag_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Python argument name -> how this command spells it (``version`` -> ``--version``, ``name`` -> ``NAME``)."""
    names: dict[str, str] = {}
    for action in parser._actions:
        if action.option_strings:
            names[action.dest] = max(action.option_strings, key=len)
        elif action.dest != argparse.SUPPRESS:
            names[action.dest] = str(action.metavar or action.dest.upper())
    return names


class OneLineParser(argparse.ArgumentParser):
    """A parser whose usage errors are one line (no usage block) naming the (sub-)command, with "did you mean"."""

    def error(self, message: str):  # argparse calls it for every usage error
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value) -> None:
        if action.choices is not None and value not in action.choices:
            import difflib

            close = difflib.get_close_matches(str(value), [str(c) for c in action.choices], n=1, cutoff=0.6)
            known = f"did you mean {close[0]}?" if close else f"choose from {', '.join(map(str, action.choices))}"
            raise argparse.ArgumentError(action, f"invalid choice: {value!r}; {known}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="samzoo",
        description="Catalog, build, validate and load the Segment Anything for Microscopy models of the BioImage.IO Model Zoo.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"samzoo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    _attach_flag_names(sub)
    return parser


def _attach_flag_names(sub: argparse._SubParsersAction) -> None:
    """Give every (sub-)command's parsed arguments the map from Python argument names to its flags."""
    for parser in sub.choices.values():
        parser.set_defaults(_flag_names=_flag_names(parser), _prog=parser.prog)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _attach_flag_names(action)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the (sub-)command that was given them, not by `samzoo`
        print(f"{getattr(args, '_prog', parser.prog)}: error: unrecognized arguments: {' '.join(unknown)} "
              f"(see {getattr(args, '_prog', parser.prog)} --help)", file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from ..plumbing.allocator import keep_freed_memory

    keep_freed_memory()  # our own process: reuse the encoder's large blocks instead of faulting them in
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        return int(args.func(args) or 0)
    except ArgumentError as e:  # the library names the argument; say it as this command's flag
        print(f"samzoo: error: {e.render(getattr(args, '_flag_names', {}))}", file=sys.stderr)
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
        return _stdout_closed()

    except OSError as e:  # a file or folder the library did not expect to fail (the class, not one instance)
        where = f"{e.filename}: " if e.filename else ""
        print(f"samzoo: error: {where}{e.strerror or type(e).__name__}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: one line, the traceback only on request
        if os.environ.get("SAMZOO_DEBUG"):
            raise
        msg = " ".join(str(e).split())[:300]
        print(f"samzoo: internal error: {type(e).__name__}: {msg}; please report this (SAMZOO_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``timeout``, Slurm, ``docker stop``), raised like Ctrl-C so every cleanup runs."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _stdout_closed() -> int:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again; exit 141 (128 + SIGPIPE)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


def run() -> None:
    """The console-script entry point: :func:`main`, with a closed stdout at exit treated like one during the run."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _stdout_closed()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
