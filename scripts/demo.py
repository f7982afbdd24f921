"""`make demo`: show the catalog (until the pipeline lands)."""

import sys

from samzoo.cli import main

sys.exit(main(["list"]))
