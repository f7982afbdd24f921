"""The pipeline: what runs the tools together.

``catalog_builds``: build (and validate) every selected catalog model into one folder (``build_all``).
``publishing``: validate a package, check it against the newest spec, then publish it as a draft (``publish``).
``release``: publish exactly the built models whose package changed since what is recorded as on the zoo.
"""

from .catalog_builds import BuildRecord, Selection, build_all, fingerprint, read_index, write_index
from .publishing import PublishOutcome, publish
from .release import ReleaseRecord, release

__all__ = ["BuildRecord", "PublishOutcome", "ReleaseRecord", "Selection", "build_all", "fingerprint", "publish", "read_index", "release",
           "write_index"]
