"""limma's empirical Bayes moderation of residual variances (``squeezeVar`` with ``fitFDist``, limma 3.54).

Hand-written because no Python library we use ships it: the gene-wise variances are modelled as scaled
chi-square draws around a scaled inverse-chi-square prior, whose scale and degrees of freedom come from the mean
and variance of the log variances (moments of ``log F``), and each gene's variance is replaced by its posterior mean
``(d s^2 + d0 s0^2) / (d + d0)``. No covariate (``trend = FALSE``) and no robust fit, as dream's ``eBayes``
defaults; the degrees of freedom may differ between genes (dream passes rdf.merMod's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, polygamma

log = logging.getLogger(__name__)


def trigamma_inverse(value: float) -> float:
    """The ``y`` with ``trigamma(y) = value`` (limma's ``trigammaInverse``: Newton's method from 0.5 + 1/value)."""
    if value > 1e7:
        return 1.0 / np.sqrt(value)
    if value < 1e-6:
        return 1.0 / value
    y = 0.5 + 1.0 / value
    for _ in range(50):
        tri = float(polygamma(1, y))
        step = tri * (1.0 - tri / value) / float(polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    else:
        log.warning("trigamma_inverse: iteration limit reached")
    return y


@dataclass(frozen=True)
class Squeezed:
    """Posterior variances and the prior they were squeezed towards."""

    variance: np.ndarray
    prior_variance: float
    prior_df: float


def fit_f_distribution(variances: np.ndarray, df: np.ndarray) -> tuple[float, float]:
    """limma's ``fitFDist`` without a covariate: the prior scale ``s0^2`` and degrees of freedom ``d0``."""
    ok = np.isfinite(df) & (df > 1e-15) & np.isfinite(variances) & (variances > -1e-15)
    x, d = np.maximum(variances[ok], 0.0), df[ok]
    if len(x) < 2:
        return (float(x[0]) if len(x) else float("nan")), 0.0
    median = np.median(x)
    if median == 0:
        log.warning("more than half of the residual variances are exactly zero: moderation unreliable")
        median = 1.0
    x = np.maximum(x, 1e-5 * median)
    e = np.log(x) - digamma(d / 2) + np.log(d / 2)
    mean = e.mean()
    excess = ((e - mean) ** 2).sum() / (len(e) - 1) - np.mean(polygamma(1, d / 2))
    if excess > 0:
        prior_df = 2.0 * trigamma_inverse(float(excess))
        return float(np.exp(mean + digamma(prior_df / 2) - np.log(prior_df / 2))), prior_df
    return float(np.mean(x)), float("inf")


def squeeze_variances(variances: np.ndarray, df: np.ndarray) -> Squeezed:
    """limma's ``squeezeVar(var, df)``: posterior variances under the fitted scaled inverse-chi-square prior."""
    variances = np.where(df == 0, 0.0, variances)
    if len(variances) < 2:
        return Squeezed(variances.copy(), float(variances[0]) if len(variances) else float("nan"), 0.0)
    prior_variance, prior_df = fit_f_distribution(variances, df)
    if np.isinf(prior_df):
        return Squeezed(np.full_like(variances, prior_variance), prior_variance, prior_df)
    return Squeezed((df * variances + prior_df * prior_variance) / (df + prior_df), prior_variance, prior_df)
