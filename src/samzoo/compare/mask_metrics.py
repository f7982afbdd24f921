"""Agreement between two models' outputs: mask IoU, adjusted Rand index of label images, cosine of embeddings."""

from __future__ import annotations

import numpy as np


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two binary masks (1.0 when both are empty)."""
    a, b = a.astype(bool), b.astype(bool)
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two arrays of the same size, flattened (1.0 when both are zero)."""
    x, y = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(x), np.linalg.norm(y)
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    return float(x @ y / (na * nb))


def object_count(labels: np.ndarray) -> int:
    """Objects in a label image (distinct values other than 0)."""
    values = np.unique(labels)
    return int((values != 0).sum())


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two label images of the same shape (1.0: the same partition, ~0: chance)."""
    _, ia = np.unique(a.ravel(), return_inverse=True)
    _, ib = np.unique(b.ravel(), return_inverse=True)
    n = ia.size
    table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.int64) if n else np.zeros((1, 1), np.int64)
    np.add.at(table, (ia, ib), 1)
    comb = lambda x: (x * (x - 1) / 2).sum()  # noqa: E731
    index = comb(table.astype(np.float64))
    sa, sb = comb(table.sum(1).astype(np.float64)), comb(table.sum(0).astype(np.float64))
    total = n * (n - 1) / 2
    expected = sa * sb / total if total else 0.0
    top = (sa + sb) / 2
    return 1.0 if top == expected else float((index - expected) / (top - expected))
