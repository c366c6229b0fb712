"""Frechet (2-Wasserstein) distance between Gaussians fitted to two sets of feature rows."""

from __future__ import annotations

import numpy as np

from bridge.errors import ParameterError


def _psd_sqrt(C: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((C + C.T) / 2.0)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_from_stats(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2).

    ``|mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2)``, computed with
    symmetric eigendecompositions (no complex square roots of non-symmetric products).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, float)), np.atleast_2d(np.asarray(cov2, float))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (len(mu1), len(mu1)):
        raise ParameterError(f"frechet: mismatched shapes {mu1.shape}, {cov1.shape}, {mu2.shape}, {cov2.shape}")
    s1 = _psd_sqrt(cov1)
    cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    tr_sqrt = float(np.sqrt(np.clip(cross, 0.0, None)).sum())
    d = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)
    return max(d, 0.0)


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows ``(n, d)``.

    Biased upward for small sets (covariances from few rows); compare systems with
    similar row counts, and use many more rows than dimensions.
    """
    a, b = np.atleast_2d(np.asarray(feats_a, float)), np.atleast_2d(np.asarray(feats_b, float))
    if a.shape[1] != b.shape[1]:
        raise ParameterError(f"frechet: feature sizes differ ({a.shape[1]} vs {b.shape[1]})")
    if len(a) < 2 or len(b) < 2:
        raise ParameterError(f"frechet: need at least 2 rows per set, got {len(a)} and {len(b)}")
    return frechet_from_stats(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))
