"""The cache root shared by the resolver's weights and the validator's environments.

``SAMZOO_CACHE_DIR``, else the platform's user cache dir (``~/.cache/samzoo`` on Linux); read at call time.
Layout below it: ``weights/`` (the resolver's hash-checked store), ``envs/`` (the core-version matrix).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import SamzooError


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The cache root: ``cache_dir`` if given, else ``SAMZOO_CACHE_DIR``, else the user cache dir.

    Raises :class:`~samzoo.plumbing.errors.SamzooError` when that path exists and is not a folder.
    """
    if cache_dir is not None:
        return _folder(Path(cache_dir).expanduser(), "the cache folder (cache_dir)")
    value = os.environ.get("SAMZOO_CACHE_DIR")
    if value:
        return _folder(Path(value).expanduser(), "the cache folder (SAMZOO_CACHE_DIR)")
    import platformdirs

    return _folder(Path(platformdirs.user_cache_dir("samzoo")), "the cache folder")


def _folder(path: Path, what: str) -> Path:
    if path.exists() and not path.is_dir():
        raise SamzooError(f"{path}: {what} is not a folder; remove that file or point the cache elsewhere")
    return path
