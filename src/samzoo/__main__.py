"""``python -m samzoo`` runs the command line."""

from .cli import run

run()
