"""limma's voom: log2-CPM and observation-level precision weights from raw counts, on blocks of genes.

Follows ``limma::voom(counts, design)`` 3.54 with its defaults (``lib.size = colSums(counts)``, no TMM and no
between-sample normalisation, ``span = 0.5``): log2((count + 0.5) / (library size + 1) * 1e6); an unweighted
least-squares fit of the design per gene; R's ``lowess`` of sqrt(residual SD) against the mean log2 count (the mean
log2-CPM shifted by the mean log2 library size), here statsmodels' port of the same algorithm with R's defaults
(``frac = 0.5``, three robustness iterations, ``delta`` = 1 % of the range), which agrees with R to 1e-11;
``approxfun(rule = 2, ties = mean)`` as :func:`numpy.interp` over the curve with tied abscissae averaged; weights
``1 / curve(fitted log2 count) ** 4``.

The trend needs every gene (one pass over blocks of genes); the weights are then computed block by block, so no
genes x samples array of the whole table is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.nonparametric.smoothers_lowess import lowess

#: R's lowess defaults as voom calls it.
SPAN, ROBUSTNESS_ITERATIONS, DELTA_FRACTION = 0.5, 3, 0.01


def log_cpm(counts: np.ndarray, library_sizes: np.ndarray) -> np.ndarray:
    """voom's log2 counts per million: log2((counts + 0.5) / (library size + 1) * 1e6), genes x samples."""
    return np.log2((counts + 0.5) / (library_sizes + 1.0) * 1e6)


def _hat(design: np.ndarray) -> np.ndarray:
    """The least-squares projection onto the design's columns (samples x samples); rank deficiency allowed."""
    return design @ np.linalg.pinv(design)


@dataclass(frozen=True)
class VoomTrend:
    """voom's mean-variance curve: sqrt(residual SD) as a function of the mean log2 count.

    ``x`` is sorted with ties averaged, as ``approxfun(ties = list("ordered", mean))`` does; values outside the
    range take the nearest end (``rule = 2``).
    """

    x: np.ndarray
    y: np.ndarray

    def __call__(self, log_count: np.ndarray) -> np.ndarray:
        return np.interp(log_count, self.x, self.y)


def fit_trend(counts: np.ndarray, design: np.ndarray, *, library_sizes: np.ndarray | None = None,
              span: float = SPAN, chunk_size: int = 4096) -> VoomTrend:
    """voom's lowess trend of sqrt(residual SD) on the mean log2 count, over blocks of ``chunk_size`` genes.

    Parameters
    ----------
    counts
        Raw counts, genes x samples.
    design
        Samples x columns fixed-effects design (voom's ``design``).
    library_sizes
        Per-sample library sizes; default the column sums of ``counts`` (limma's default).
    span
        The lowess span (voom's ``span``).
    chunk_size
        Genes per block.
    """
    library_sizes = counts.sum(axis=0) if library_sizes is None else library_sizes
    n_samples = design.shape[0]
    rank = np.linalg.matrix_rank(design)
    if n_samples <= rank:
        raise ValueError(f"voom needs residual degrees of freedom: {n_samples} samples, design of rank {rank}")
    hat = _hat(design)
    means, sds = [], []
    for start in range(0, len(counts), chunk_size):
        block = counts[start:start + chunk_size]
        y = log_cpm(block, library_sizes)
        residual = y - y @ hat.T
        means.append(y.mean(axis=1))
        sds.append(np.sqrt((residual ** 2).sum(axis=1) / (n_samples - rank)))
    mean_log_count = np.concatenate(means) + np.mean(np.log2(library_sizes + 1.0)) - np.log2(1e6)
    root_sd = np.sqrt(np.concatenate(sds))
    expressed = counts.sum(axis=1) > 0  # voom leaves all-zero genes out of the trend
    x, y = mean_log_count[expressed], root_sd[expressed]
    curve = lowess(y, x, frac=span, it=ROBUSTNESS_ITERATIONS, delta=DELTA_FRACTION * np.ptp(x))
    unique, inverse = np.unique(curve[:, 0], return_inverse=True)
    averaged = np.bincount(inverse, weights=curve[:, 1]) / np.bincount(inverse)
    return VoomTrend(unique, averaged)


def voom_weights(counts: np.ndarray, design: np.ndarray, *, trend: VoomTrend,
                 library_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log2-CPM and voom precision weights of a block of genes (both genes x samples).

    The weight of an observation is ``1 / trend(fitted log2 count) ** 4``, the fitted log2 count coming from the
    gene's least-squares fit of ``design`` to its log2-CPM.
    """
    y = log_cpm(counts, library_sizes)
    fitted = y @ _hat(design).T
    fitted_log_count = fitted + np.log2(library_sizes + 1.0) - np.log2(1e6)
    return y, 1.0 / trend(fitted_log_count) ** 4


def voom(counts: np.ndarray, design: np.ndarray, *, span: float = SPAN) -> tuple[np.ndarray, np.ndarray]:
    """``limma::voom(counts, design)``: log2-CPM ``E`` and precision ``weights`` (genes x samples each)."""
    library_sizes = counts.sum(axis=0)
    trend = fit_trend(counts, design, library_sizes=library_sizes, span=span)
    return voom_weights(counts, design, trend=trend, library_sizes=library_sizes)
