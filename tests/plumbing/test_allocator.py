"""samzoo.plumbing.allocator: the glibc setting is applied in samzoo's own processes (effect measured in its docstring)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_applies_on_glibc():
    probe = "from samzoo.plumbing.allocator import keep_freed_memory; print(keep_freed_memory(), keep_freed_memory())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"]  # applied, and applying it twice is harmless
