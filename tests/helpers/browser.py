"""A real headless Chromium for tests (playwright driving the system's chromium; no browser download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

SKIP_REASON = "no Chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)"


def chromium() -> str | None:
    """The system's Chromium, or None."""
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def launch() -> Iterator:
    """Yield a launched playwright Browser (skip the test, saying why, without Chromium or playwright)."""
    if chromium() is None:
        pytest.skip(SKIP_REASON)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install samzoo[test])")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()
