"""mkdocs hook: the command-line reference and the Python API index, generated at build time so they cannot drift.

``<!-- cli-reference -->`` in a page becomes one section per ``samzoo`` (sub-)command, made from the parser
that ``samzoo.cli.build_parser()`` builds: its usage, description and a table of its arguments.
``<!-- python-api -->`` becomes one mkdocstrings directive per name ``samzoo`` exports (``samzoo.__all__``),
pointing at the module that defines it (the package exports them lazily, so a static ``::: samzoo`` sees none).
The checkout's ``src/`` comes first on ``sys.path``: the docs describe the code next to them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CLI_MARKER = "<!-- cli-reference -->"
API_MARKER = "<!-- python-api -->"


def on_config(config, **kwargs):
    src = str(Path(config.config_file_path).resolve().parent / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    return config


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, python_api())
    return markdown


def commands(parser: argparse.ArgumentParser, prefix: str = "samzoo") -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(``samzoo build``, its parser, its one-line help) for every command below ``parser``, depth first, by name."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name in sorted(action.choices):
                sub = action.choices[name]
                out.append((f"{prefix} {name}", sub, helps.get(name, "")))
                out.extend(commands(sub, f"{prefix} {name}"))
    return out


def cli_reference() -> str:
    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines at the terminal's width
    from samzoo.cli import build_parser

    parser = build_parser()
    parts = [_section("samzoo", parser, parser.description or "", level=2)]
    for name, sub, help_ in commands(parser):
        parts.append(_section(name, sub, help_, level=2))
    return "\n".join(parts)


def _section(name: str, parser: argparse.ArgumentParser, help_: str, level: int) -> str:
    lines = [f"{'#' * level} {name}", ""]
    text = parser.description or help_
    if text:
        lines += [_escape_text(text), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    rows = [_row(parser, a) for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    rows = [r for r in rows if r]
    if rows:
        lines += ["| argument | meaning | default |", "|---|---|---|", *rows, ""]
    return "\n".join(lines)


def _row(parser: argparse.ArgumentParser, action: argparse.Action) -> str | None:
    if action.help == argparse.SUPPRESS:
        return None
    formatter = parser._get_formatter()
    if isinstance(action, argparse._SubParsersAction):
        names = ", ".join(f"`{n}`" for n in sorted(action.choices))
        return f"| `{action.metavar or action.dest}` | one of {names} (each below) | |"
    if action.option_strings:
        spelled = ", ".join(action.option_strings)
        if action.nargs != 0:
            spelled += " " + formatter._format_args(action, formatter._get_default_metavar_for_optional(action))
    else:
        spelled = formatter._format_args(action, formatter._get_default_metavar_for_positional(action))
    help_ = formatter._expand_help(action) if action.help else ""
    if action.required and action.option_strings:
        help_ = f"(required) {help_}".strip()
    default = action.default
    shown = "" if default in (None, False, argparse.SUPPRESS) or action.nargs == 0 else f"`{default}`"
    return f"| `{spelled}` | {_escape_cell(help_)} | {_escape_cell(shown)} |"


def _escape_text(text: str) -> str:
    """One line; ``<`` outside code spans escaped (``<model_type>.pt`` is no HTML tag)."""
    parts = " ".join(text.split()).split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def _escape_cell(text: str) -> str:
    return _escape_text(text).replace("|", "\\|")


def python_api() -> str:
    import samzoo

    blocks = []
    for name in samzoo.__all__:
        obj = getattr(samzoo, name)
        module = getattr(obj, "__module__", None)
        if module is None or not callable(obj):  # __version__
            continue
        blocks.append(f"::: {module}.{obj.__qualname__}")
    return "\n\n".join(blocks) + "\n"
