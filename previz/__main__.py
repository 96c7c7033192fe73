"""``python -m previz`` runs the command line."""

from previz.cli import run

run()
