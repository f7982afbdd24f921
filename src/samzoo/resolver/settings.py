"""Where the resolver looks and whether it may use the network: read from the environment at call time.

``SAMZOO_CACHE_DIR``  cache root (:mod:`samzoo.plumbing.cache_root`)
``SAMZOO_OFFLINE``    ``1``/``true``/``yes``/``on``: never open a network connection (:mod:`samzoo.plumbing.offline`)
``SAMZOO_MIRRORS``    base URLs separated by spaces or commas; a mirror serves
                      ``<base>/<alg>-<hex>/<filename>``, the layout of ``<cache>/weights/``
``MICROSAM_CACHEDIR`` micro-sam's cache (default: ``pooch.os_cache("micro_sam")``); its
                      ``models/<model_type>`` and ``models/<model_type>_decoder`` files are reused
"""

from __future__ import annotations

import os
import re
from pathlib import Path

def mirrors() -> list[str]:
    """Mirror base URLs from ``SAMZOO_MIRRORS`` (space or comma separated), in order."""
    value = os.environ.get("SAMZOO_MIRRORS", "")
    return [m.rstrip("/") for m in re.split(r"[\s,]+", value) if m]


def microsam_cache_dir() -> Path:
    """micro-sam's cache directory, as micro-sam computes it (``MICROSAM_CACHEDIR`` or pooch's os cache)."""
    value = os.environ.get("MICROSAM_CACHEDIR")
    if value:
        return Path(value).expanduser()
    import pooch  # micro-sam's own call, so both agree on every platform

    return Path(pooch.os_cache("micro_sam"))
