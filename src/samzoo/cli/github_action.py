"""The GitHub Action's validate step (``action.yml``): inputs from ``INPUT_*``, then ``samzoo validate``'s outputs.

Run as ``python -m samzoo.cli.github_action``. Reads ``INPUT_PACKAGES`` (paths or globs, separated by spaces or
new lines), ``INPUT_CORE`` (bioimageio.core releases), ``INPUT_REPORT`` (.html, .md or .json; empty: none) and
``INPUT_QUICK`` (true/false); validates with the library, appends the Markdown report to
``$GITHUB_STEP_SUMMARY`` and writes the outputs ``passed``, ``failed``, ``failed-packages`` and ``report`` to
``$GITHUB_OUTPUT``. Exit code 0 when every package passed, 1 when one failed (or an output could not be
written), 2 on bad inputs (one line each).
"""

from __future__ import annotations

import glob
import os
import shlex
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..plumbing.errors import ArgumentError, OutputError, SamzooError
from ._guard import run_guarded

#: the library's argument names -> the action's input names (how a bad value is reported)
INPUT_NAMES = {"packages": "packages", "core_versions": "core", "report": "report", "quick": "quick"}
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, checked: package sources (globs expanded), core releases, report path, quick."""

    sources: tuple[str, ...]
    core_versions: tuple[str, ...]
    report: Path | None
    quick: bool


def _words(value: str, name: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError as e:
        raise ArgumentError(name, f"{value!r}: {e}; separate entries by spaces or new lines, quote those with spaces") from None


def _expand(entries: Sequence[str]) -> list[str]:
    """Each entry, or the files and folders its glob matches (sorted); a glob that matches nothing is an error."""
    out: list[str] = []
    for entry in entries:
        if _GLOB_CHARS.isdisjoint(entry):
            out.append(entry)
            continue
        matches = sorted(glob.glob(entry, recursive=True))
        if not matches:
            raise ArgumentError("packages", f"{entry}: the pattern matches no file or folder")
        out.extend(matches)
    return list(dict.fromkeys(out))


def _packages(entries: list[str]) -> list[str]:
    """The packages the entries name (folders searched), as ``samzoo validate`` finds them."""
    from ..validate import expand_sources

    try:
        return list(dict.fromkeys(expand_sources(entries)))
    except ArgumentError:
        raise
    except SamzooError as e:
        raise ArgumentError("packages", str(e)) from None


def _core_versions(value: str) -> tuple[str, ...]:
    from ..validate.core_matrix.releases import check_core_versions

    return check_core_versions(_words(value.replace(",", " "), "core_versions"))


def _quick(value: str) -> bool:
    word = value.strip().lower()
    if word not in ("", "true", "false"):
        raise ArgumentError("quick", f"{value!r} is not true or false")
    return word == "true"


def _report(value: str) -> Path | None:
    """The report path (its folder created), or None when the input is empty."""
    from ..validate.report import REPORT_SUFFIXES, check_report_path

    if not value.strip():
        return None
    path = Path(value.strip())
    if path.suffix.lower() in REPORT_SUFFIXES and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)  # a CI job's fresh workspace: reports/ need not exist yet
    return check_report_path(path)


def read_inputs(environ: Mapping[str, str]) -> ActionInputs:
    """The checked inputs; :class:`ArgumentError` (naming the input) for a bad one."""
    packages = _words(environ.get("INPUT_PACKAGES", "") or ".", "packages")
    if not packages:
        packages = ["."]
    return ActionInputs(
        sources=tuple(_packages(_expand(packages))),
        core_versions=_core_versions(environ.get("INPUT_CORE", "")),
        report=_report(environ.get("INPUT_REPORT", "")),
        quick=_quick(environ.get("INPUT_QUICK", "")),
    )


def output_lines(name: str, value: str) -> str:
    """``name=value``, or GitHub's heredoc form (``name<<DELIMITER``) for a value with new lines."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def outputs_text(reports: Sequence, report: Path | None) -> str:
    """The step's outputs: passed (true/false), failed (a count), failed-packages (one source a line), report."""
    failed = [r.source for r in reports if not r.passed]
    return "".join([
        output_lines("passed", "false" if failed else "true"),
        output_lines("failed", str(len(failed))),
        output_lines("failed-packages", "\n".join(failed)),
        output_lines("report", str(report) if report else ""),
    ])


def _append_outputs(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise OutputError(f"$GITHUB_OUTPUT {path}: cannot append to it ({e.strerror or type(e).__name__})") from None


def _validate(inputs: ActionInputs) -> list:
    """The reports, one per package (the log shows each as it finishes, then every check)."""
    from ..validate import ValidationOptions, validate_many
    from .cmd_validate import _done_line, _print_text

    options = ValidationOptions(quick=inputs.quick, core_versions=inputs.core_versions)
    reports = validate_many(inputs.sources, options, on_done=lambda r, done, n: print(_done_line(r, done, n), flush=True))
    _print_text(reports)
    return reports


def _write(reports: list, inputs: ActionInputs, environ: Mapping[str, str]) -> int:
    """The report file, the step summary and the outputs, each tried; 1 when one could not be written."""
    from ..validate.report import append_step_summary, write_report

    code = 0
    steps = [
        (inputs.report, lambda: write_report(reports, inputs.report)),
        (environ.get("GITHUB_STEP_SUMMARY"), lambda: append_step_summary(reports, environ["GITHUB_STEP_SUMMARY"])),
        (environ.get("GITHUB_OUTPUT"), lambda: _append_outputs(environ["GITHUB_OUTPUT"], outputs_text(reports, inputs.report))),
    ]
    for wanted, write in steps:
        if not wanted:
            continue
        try:
            write()
        except OutputError as e:
            print(f"samzoo: error: {e}", file=sys.stderr)
            code = 1
    return code


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the step; its exit code (0 all passed, 1 a package failed or an output failed, 2 bad inputs)."""
    environ = os.environ if environ is None else environ

    def step() -> int:
        inputs = read_inputs(environ)
        reports = _validate(inputs)
        code = _write(reports, inputs, environ)
        return code or (0 if all(r.passed for r in reports) else 1)

    return run_guarded(step, INPUT_NAMES, argument_prefix="input ")


if __name__ == "__main__":
    sys.exit(main())
