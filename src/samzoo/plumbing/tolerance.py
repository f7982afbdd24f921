"""How far an output may be from its expected value: ``|actual - expected| > atol + rtol * |expected|``.

The comparison of bioimageio.core (``reproducibility_tolerance`` in an rdf), used by the builder's export
cross-check and the validator's encoder check alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Relative and absolute tolerance, and how many mismatched elements per million are allowed."""

    rtol: float
    atol: float
    ppm: float

    def describe(self) -> str:
        return f"tolerance {self.ppm:g} ppm, rtol {self.rtol:g}, atol {self.atol:g}"


@dataclass(frozen=True)
class Comparison:
    """How ``actual`` compares with ``expected``: mismatched elements per million and the largest difference."""

    ppm: float
    max_diff: float
    tolerance: Tolerance

    @property
    def within(self) -> bool:
        return self.ppm <= self.tolerance.ppm

    def describe_ppm(self) -> str:
        """``0.12%`` for many mismatches, ``3.0 ppm`` for few."""
        return f"{self.ppm / 1e4:.2f}%" if self.ppm >= 1000 else f"{self.ppm:.1f} ppm"


def compare(expected: np.ndarray, actual: np.ndarray, tolerance: Tolerance) -> Comparison:
    """Compare two arrays of the same shape in float64 (NaN never matches)."""
    exp = np.asarray(expected, dtype=np.float64)
    diff = np.abs(np.asarray(actual, dtype=np.float64) - exp)
    bad = ~(diff <= tolerance.atol + tolerance.rtol * np.abs(exp))
    ppm = float(bad.sum()) / max(1, bad.size) * 1e6
    finite = diff[np.isfinite(diff)]
    return Comparison(ppm, float(finite.max()) if finite.size else float("nan"), tolerance)
