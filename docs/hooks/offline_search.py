"""mkdocs hook: the search index also as ``search/search_index.js``, which Material loads when a page is opened
from disk (``file://``), as its ``offline`` plugin writes it, without that plugin's script from unpkg.com.

Without the file every page opened from disk logs a failed load; with it, pages load cleanly (searching still
needs the site served: browsers run no web worker from ``file://``).
"""

from __future__ import annotations

import os
from pathlib import Path


def on_post_build(config, **kwargs) -> None:
    folder = Path(config.site_dir) / "search"
    index = folder / "search_index.json"
    if not index.is_file():
        return
    tmp = folder / f".search_index.js.{os.getpid()}.tmp"
    tmp.write_text("var __index = " + index.read_text(encoding="utf-8"), encoding="utf-8")
    tmp.replace(folder / "search_index.js")
