"""Exceptions that carry a one-line, user-facing message and a CLI exit code."""

from __future__ import annotations


class SamzooError(Exception):
    """Base of every error samzoo reports to a user.

    The message is a single line saying what is wrong and what to do. The CLI
    prints it without a traceback and exits with ``exit_code``: 2 for a usage
    error (a bad argument, an unknown name, a missing or unusable file given on the
    command line), 1 for a failure at run time (:class:`RunTimeFailure`: network,
    hash mismatch, a package that fails validation).
    """

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class RunTimeFailure(SamzooError):
    """Something failed while doing the work, not because of how samzoo was called: exit code 1."""

    exit_code: int = 1


class ArgumentError(SamzooError):
    """A bad value for one argument of a library call.

    The library names the argument as Python does (``version``); the CLI renders the same
    error with its flag (``--version``) through :meth:`render`. ``problem`` must not mention
    flags or commands: it is shown to Python and CLI users alike.
    """

    def __init__(self, argument: str, problem: str) -> None:
        self.argument = argument
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{argument}: {self.problem}")

    def render(self, names: dict[str, str]) -> str:
        """The message with the argument named as ``names`` maps it (e.g. ``{"version": "--version"}``)."""
        return f"{names.get(self.argument, self.argument)}: {self.problem}"


class OutputError(SamzooError):
    """A file samzoo was asked to write could not be written (a folder in the way, no permission, full disk)."""

    exit_code = 1


class InternalError(RuntimeError):
    """A state samzoo should never reach (a bug), not a user's mistake: not a :class:`SamzooError`.

    The CLI prints it as one "internal error ... please report this" line and exits 1;
    ``SAMZOO_DEBUG=1`` shows its traceback.
    """


class SpecError(SamzooError):
    """A model spec file is malformed (names the file, the field and the fix)."""


class UnknownModelError(SamzooError, LookupError):
    """A model name that the catalog does not know."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"unknown model {name!r}.{hint} Run `samzoo list --all-versions` to see every name."
        )


def one_line(text: object, limit: int = 300) -> str:
    """Collapse whitespace to one line and cut it at ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_error(e: BaseException, limit: int = 300) -> str:
    """One line for an exception: ``Type: message`` (only the type when the message is empty)."""
    text = one_line(e, limit)
    return one_line(f"{type(e).__name__}: {text}", limit) if text else type(e).__name__
