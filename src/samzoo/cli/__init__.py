"""The ``samzoo`` command line: a thin layer over the Python API.

Each ``cmd_*.py`` module in this package adds its sub-commands through
``register(subparsers)``; handlers take the parsed arguments and return an
exit code. Only this package prints and parses arguments. Errors derived from
:class:`samzoo.plumbing.errors.SamzooError` are printed as one line, without a
traceback, and end with their exit code: 0 ok, 1 a failure at run time (network,
hash mismatch, failed validation), 2 a usage error (bad arguments, unknown names,
missing files given on the command line), 130 interrupted, 143 terminated, 141 stdout closed early
(``_guard.run_guarded``).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ._guard import stdout_closed, run_guarded


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
    return run_guarded(lambda: args.func(args), getattr(args, "_flag_names", {}))


def run() -> None:
    """The console-script entry point: :func:`main`, with a closed stdout at exit treated like one during the run."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = stdout_closed()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
