"""DESeq2 for all genes at once: the workflow's differential-expression engine.

The steps and constants are DESeq2's (``DESeq()`` then ``results()``), in the variant pydeseq2 0.5 implements
where the two differ in bookkeeping (Cook's replacement, independent filtering); every gene-wise step runs on
blocks of genes as arrays (:mod:`trialrna.nb_glm`) instead of gene by gene:

1. size factors by the median of ratios;
2. gene-wise dispersions: rough and moments estimates, fitted means (linear model when the design has as many
   distinct rows as columns, else IRLS), DESeq2's line search with the Armijo and noIncrease rules, and the
   20-point grid for genes whose search did not converge;
3. the parametric trend ``a0 + a1 / mean`` and the log-normal prior's variance (MAD minus trigamma, or DESeq2's
   simulation when the residual degrees of freedom are 3 or fewer);
4. MAP dispersions by the same search with the prior, gene-wise estimates kept for dispersion outliers;
5. coefficients by IRLS with DESeq2's ridge, Cook's distances, replacement of outlier counts in cells with 7 or
   more replicates and a refit of those genes;
6. Wald tests of contrasts and likelihood-ratio tests of a reduced design, Cook's filtering and independent
   filtering, and apeGLM's log fold change shrinkage (MAP by Newton steps for all genes at once).

Genes are processed in chunks (``chunk_size``) on ``n_cpus`` threads, so memory grows with genes x samples and
never with genes x columns x columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydeseq2.utils import lowess, n_or_more_replicates, nbinomGLM, robust_method_of_moments_disp, trimmed_mean
from scipy.optimize import root_scalar
from scipy.special import gammaln, polygamma, xlogy
from scipy.stats import f, false_discovery_control, norm
from threadpoolctl import threadpool_limits

from trialrna.nb_glm import DesignBlocks, Posterior, grid_search, irls, line_search

log = logging.getLogger(__name__)

#: DESeq2 defaults.
MIN_MU, MIN_DISP, MAX_DISP, BETA_TOL, MIN_REPLICATES, OUTLIER_SD = 0.5, 1e-8, 10.0, 1e-8, 7, 2.0
#: apeGLM's normal prior scale on the coefficients that are not shrunk (pydeseq2, DESeq2's lfcShrink).
NO_SHRINK_SCALE = 15.0


def size_factors(counts: np.ndarray) -> np.ndarray:
    """Median-of-ratios size factors (genes x samples counts), over the genes with no zero count.

    When every gene has a zero somewhere, DESeq2's ``poscounts`` estimator is used (with a warning): the
    geometric mean over each gene's positive counts, the median over each sample's positive counts.
    """
    with np.errstate(divide="ignore"):
        # Gene by gene and sample by sample: no genes x samples array of logarithms is kept.
        log_means = np.concatenate([np.log(block).mean(axis=1) for block in np.array_split(
            counts, max(1, len(counts) // 4096))])
        usable = np.isfinite(log_means)
        if usable.any():
            kept = counts[usable]
            return np.exp(np.array([np.median(np.log(kept[:, sample]) - log_means[usable])
                                    for sample in range(counts.shape[1])]))
        log_counts = np.log(counts)
    log.warning("every gene has a zero count in some sample: size factors by DESeq2's 'poscounts' estimator")
    positive = np.where(counts > 0, log_counts, 0.0)
    log_means = positive.sum(axis=1) / counts.shape[1]
    ratios = np.where(counts > 0, log_counts - log_means[:, None], np.nan)
    factors = np.exp(np.nanmedian(ratios[log_means > 0], axis=0))
    return factors / np.exp(np.mean(np.log(factors)))


def over_genes(function: Callable[[np.ndarray], dict[str, np.ndarray]], genes: np.ndarray, *, chunk_size: int,
               n_cpus: int) -> dict[str, np.ndarray]:
    """Apply ``function`` to chunks of gene indices on ``n_cpus`` threads; concatenate its named arrays.

    numpy and scipy release the GIL inside their array loops, so threads share the work; BLAS is held to one
    thread per worker so that ``n_cpus`` is the whole budget.
    """
    chunks = [genes[start:start + chunk_size] for start in range(0, len(genes), chunk_size)] or [genes]
    with threadpool_limits(1):
        if n_cpus > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(n_cpus) as pool:
                parts = list(pool.map(function, chunks))
        else:
            parts = [function(chunk) for chunk in chunks]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


@dataclass
class Trend:
    """The dispersion trend: parametric ``a0 + a1 / mean``, or a constant when the parametric fit fails."""

    coefficients: np.ndarray | None
    mean_dispersion: float | None = None

    def __call__(self, means: np.ndarray) -> np.ndarray:
        if self.coefficients is not None:
            return self.coefficients[0] + self.coefficients[1] / means
        return np.full_like(means, self.mean_dispersion, dtype=float)


def fit_trend(means: np.ndarray, genewise: np.ndarray, *, min_disp: float) -> Trend:
    """DESeq2's parametric trend on genes with dispersion above 100 x ``min_disp``; a trimmed mean if it fails."""
    from scipy.stats import trim_mean

    from trialrna.dispersion import parametric_dispersion_trend

    used = genewise > 100 * min_disp
    coefficients = parametric_dispersion_trend(means[used], genewise[used])
    if coefficients is not None:
        return Trend(np.asarray(coefficients))
    log.warning("the parametric dispersion trend did not fit (a coefficient <= 0): the trend is the mean "
                "dispersion (DESeq2 would switch to a local fit)")
    return Trend(None, float(trim_mean(genewise[genewise > 10 * min_disp], proportiontocut=0.001)))


def prior_variance(genewise: np.ndarray, trend: np.ndarray, *, residual_df: int, min_disp: float,
                   seed: int) -> tuple[float, float]:
    """The log-dispersion prior variance and the squared MAD of the log residuals (DESeq2's ``dispPriorVar``).

    With 3 or fewer residual degrees of freedom the variance comes from DESeq2's simulation
    (:func:`trialrna.dispersion.dispersion_prior_variance_by_simulation`); it is never below 0.25.
    """
    from trialrna.dispersion import dispersion_prior_variance_by_simulation

    above = genewise >= 100 * min_disp
    residuals = np.log(genewise[above]) - np.log(trend[above])
    squared_mad = float((np.median(np.abs(residuals - np.median(residuals))) / norm.ppf(0.75)) ** 2)
    variance = max(squared_mad - float(polygamma(1, residual_df / 2)), 0.25)
    if 0 < residual_df <= 3:
        estimate = dispersion_prior_variance_by_simulation(residuals, df=residual_df, seed=seed)
        variance = max(estimate, 0.25)
        log.info("residual df %d <= 3: dispersion prior variance %.3f by simulation (DESeq2's method)",
                 residual_df, variance)
    return variance, squared_mad


@dataclass
class DispersionModel:
    """What the gene-wise and MAP steps share: design, size factors, bounds, trend and prior."""

    blocks: DesignBlocks
    size_factors: np.ndarray
    min_disp: float
    max_disp: float
    min_mu: float = MIN_MU
    beta_tol: float = BETA_TOL
    linear_mu: bool = False

    def genewise(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """DESeq2's ``estimateDispersionsGeneEst`` on one block of genes: estimates and the fitted means."""
        design = self.blocks.matrix
        n, p = design.shape
        normed = counts / self.size_factors
        linear, *_ = np.linalg.lstsq(design, normed.T, rcond=None)
        fitted = (design @ linear).T
        floor = np.maximum(fitted, 1)
        rough = np.maximum((((normed - floor) ** 2 - floor) / ((n - p) * floor ** 2)).sum(axis=1), 0)
        mean, variance = normed.mean(axis=1), normed.var(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            moments = np.nan_to_num((variance - np.mean(1 / self.size_factors) * mean) / mean ** 2)
        start = np.clip(np.minimum(rough, moments), self.min_disp, self.max_disp)
        if self.linear_mu:
            mu = np.maximum(self.size_factors * fitted, self.min_mu)
        else:
            mu = irls(counts, self.size_factors, self.blocks, start, min_mu=self.min_mu, beta_tol=self.beta_tol).mu
        search = line_search(Posterior(counts, mu, self.blocks), np.log(start),
                             min_log_alpha=np.log(self.min_disp / 10))
        estimate = np.minimum(np.exp(search.log_alpha), self.max_disp)
        no_increase = search.last < search.initial + np.abs(search.initial) / 1e6
        estimate = np.where(no_increase, start, estimate)
        converged = (search.iterations < 100) & (search.iterations != 1)
        refit = ~converged & (estimate > self.min_disp * 10)
        if refit.any():
            posterior = Posterior(counts[refit], mu[refit], self.blocks)
            estimate[refit] = np.exp(grid_search(posterior, min_disp=self.min_disp, max_disp=self.max_disp))
        return {"genewise": np.clip(estimate, self.min_disp, self.max_disp), "mu": mu}

    def maximum_a_posteriori(self, counts: np.ndarray, mu: np.ndarray, genewise: np.ndarray, trend: np.ndarray, *,
                             variance: float) -> np.ndarray:
        """DESeq2's ``estimateDispersionsMAP`` before its outlier rule."""
        start = np.where(genewise > 0.1 * trend, genewise, trend)
        posterior = Posterior(counts, mu, self.blocks, np.log(trend), variance)
        search = line_search(posterior, np.log(start), min_log_alpha=np.log(self.min_disp / 10))
        estimate = np.exp(search.log_alpha)
        refit = search.iterations >= 100
        if refit.any():
            estimate[refit] = np.exp(grid_search(posterior.subset(np.flatnonzero(refit)), min_disp=self.min_disp,
                                                 max_disp=self.max_disp))
        return np.clip(estimate, self.min_disp, self.max_disp)


def cooks_distances(counts: np.ndarray, mu: np.ndarray, hat: np.ndarray, size_factors: np.ndarray,
                    design: pd.DataFrame) -> np.ndarray:
    """DESeq2's Cook's distances (genes x samples), with its robust method-of-moments dispersion."""
    dispersion = robust_method_of_moments_disp((counts / size_factors).T, design)
    pearson = (counts - mu) ** 2 / (mu + dispersion[:, None] * mu ** 2)
    return pearson / design.shape[1] * hat / (1 - hat) ** 2


def independent_filtering(base_mean: np.ndarray, pvalues: np.ndarray, *, alpha: float) -> np.ndarray:
    """DESeq2's independent filtering by mean count, as pydeseq2 implements it; BH-adjusted p-values."""
    lower = np.mean(base_mean == 0)
    theta = np.linspace(lower, 0.95 if lower < 0.95 else 1.0, 50)
    cutoffs = np.quantile(base_mean, theta)
    adjusted = np.full((len(base_mean), len(theta)), np.nan)
    tested = ~np.isnan(pvalues)
    for column, cutoff in enumerate(cutoffs):
        use = (base_mean >= cutoff) & tested
        if use.any():
            adjusted[use, column] = false_discovery_control(pvalues[use], method="bh")
    with np.errstate(invalid="ignore"):
        rejections = (adjusted < alpha).sum(axis=0)
    fitted = lowess(theta, rejections, frac=1 / 5)
    chosen = 0
    if rejections.max() > 10:
        residual = rejections[rejections > 0] - fitted[rejections > 0]
        above = np.flatnonzero(rejections > fitted.max() - np.sqrt(np.mean(residual ** 2)))
        chosen = above[0] if len(above) else 0
    return adjusted[:, chosen]


def reparametrised(design: np.ndarray, contrast: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """A design in which ``contrast . beta`` is one coefficient (as DESeq2 users relevel for lfcShrink).

    With ``M`` the identity whose row ``k`` is the contrast (``k`` its largest weight), ``X M^-1`` has
    coefficients ``M beta``: coefficient ``k`` is the contrast and the others are unchanged. Returns the new
    design, ``k`` and ``M``.
    """
    k = int(np.argmax(np.abs(contrast)))
    basis = np.eye(len(contrast))
    basis[k] = contrast
    return design @ np.linalg.inv(basis), k, basis


def apeglm_prior_variance(estimates: np.ndarray, errors: np.ndarray, *, min_var: float = 1e-6,
                          max_var: float = 400.0) -> float:
    """apeGLM's adaptive prior variance (pydeseq2's ``_fit_prior_var``) from MLEs and standard errors."""
    keep = ~np.isnan(estimates)
    squares, variances = estimates[keep] ** 2, errors[keep] ** 2

    def objective(a: float) -> float:
        weight = 1 / (2 * (a + variances) ** 2)
        return float(((squares - variances) * weight).sum() / weight.sum() - a)

    if objective(min_var) < 0:
        return min_var
    return float(root_scalar(objective, bracket=(min_var, max_var)).root)


def apeglm_map(counts: np.ndarray, size_factors: np.ndarray, blocks: DesignBlocks, dispersions: np.ndarray, *,
               index: int, prior_scale: float, mle: np.ndarray, mle_se: np.ndarray,
               no_shrink_scale: float = NO_SHRINK_SCALE) -> np.ndarray:
    """apeGLM's MAP coefficients (Cauchy prior on coefficient ``index``, wide normal on the others).

    Minimises pydeseq2's ``nbinomFn`` for every gene at once by Newton steps from the MLE coefficients
    ``mle``. The Cauchy prior can make the posterior bimodal, with a narrow mode near 0 and one near the MLE:
    where the MLE's standard error ``mle_se`` (of the shrunk coefficient) does not rule that out, a second
    search starts with the shrunk coefficient at 0 and the lower posterior wins. (apeGLM starts L-BFGS once,
    from (0.1, -0.1, ...), and pydeseq2 stops it at a relative tolerance of 1e-8 of a scaled objective: both
    land in either mode and short of it.) Genes where neither start converges go to pydeseq2's L-BFGS-B
    (``nbinomGLM``).
    """
    problem = _ApeglmProblem(blocks, counts, 1.0 / dispersions, np.log(size_factors), index, prior_scale,
                             no_shrink_scale)
    start = np.where(np.isfinite(mle), mle, 0.0)
    beta, converged = problem.newton(start)
    bimodal = possibly_bimodal(mle[:, index], mle_se, scale=prior_scale)
    if bimodal.any():
        start = start[bimodal]
        start[:, index] = 0.0
        near_zero, near_zero_ok = problem.newton(start, genes=np.flatnonzero(bimodal))
        better = near_zero_ok & (~converged[bimodal] | (problem.objective(near_zero, np.flatnonzero(bimodal))
                                                          < problem.objective(beta[bimodal], np.flatnonzero(bimodal))))
        chosen = np.flatnonzero(bimodal)[better]
        beta[chosen], converged[chosen] = near_zero[better], True
    for gene in np.flatnonzero(~converged):
        beta[gene], _, _ = nbinomGLM(blocks.matrix, counts[gene], problem.size[gene], problem.offset,
                                     no_shrink_scale, prior_scale, shrink_index=index)
    return beta


def possibly_bimodal(estimate: np.ndarray, se: np.ndarray, *, scale: float, margin: float = 2.0) -> np.ndarray:
    """Genes whose apeGLM posterior may have two modes along the shrunk coefficient.

    With the log-likelihood quadratic around the MLE ``m`` with curvature ``c = 1 / se^2``, the posterior's
    stationary points solve ``h(b) = c |m|`` with ``h(b) = 2 b / (s^2 + b^2) + c b`` (``s`` the Cauchy scale).
    ``h`` is increasing unless ``c < 1 / (4 s^2)``; then it has a local maximum ``h(b1)`` and minimum ``h(b2)``
    (``b^2`` the roots of ``c u^2 + (2 c s^2 - 2) u + c s^4 + 2 s^2 = 0``), and there are two modes only when
    ``h(b2) < c |m| < h(b1)``. The band is widened by ``margin`` on both sides, since the likelihood is only
    near quadratic.
    """
    c = 1.0 / se ** 2
    s2 = scale ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        half_b = (2 * c * s2 - 2) / (2 * c)
        discriminant = half_b ** 2 - (c * s2 ** 2 + 2 * s2) / c
        root = np.sqrt(discriminant)
        b1, b2 = np.sqrt(-half_b - root), np.sqrt(-half_b + root)
        h1, h2 = 2 * b1 / (s2 + b1 ** 2) + c * b1, 2 * b2 / (s2 + b2 ** 2) + c * b2
        target = c * np.abs(estimate)
        inside = (discriminant > 0) & (target > h2 / margin) & (target < h1 * margin)
    return inside | ~np.isfinite(c) | ~np.isfinite(estimate)


@dataclass
class _ApeglmProblem:
    """apeGLM's negative log-posterior of every gene (pydeseq2's ``nbinomFn``), its gradient and a Newton solver."""

    blocks: DesignBlocks
    counts: np.ndarray
    size: np.ndarray
    offset: np.ndarray
    index: int
    scale: float
    no_shrink_scale: float

    @property
    def normal_precision(self) -> np.ndarray:
        precision = np.full(self.blocks.n_columns, 1.0 / self.no_shrink_scale ** 2)
        precision[self.index] = 0.0
        return precision

    def objective(self, beta: np.ndarray, genes: np.ndarray | slice = slice(None)) -> np.ndarray:
        y, r = self.counts[genes], self.size[genes]
        eta = beta @ self.blocks.matrix.T
        prior = (beta ** 2 * self.normal_precision).sum(axis=1) / 2 + np.log1p((beta[:, self.index] / self.scale) ** 2)
        return prior - (y * eta - (y + r[:, None]) * np.logaddexp(eta + self.offset, np.log(r)[:, None])).sum(axis=1)

    def newton(self, beta: np.ndarray, *, genes: np.ndarray | None = None, max_iterations: int = 100
               ) -> tuple[np.ndarray, np.ndarray]:
        """Newton steps with Armijo backtracking from ``beta`` (rows: ``genes``, default all); returns the
        coefficients and whether each converged."""
        genes = np.arange(len(self.counts)) if genes is None else genes
        beta = beta.copy()
        design, index, scale = self.blocks.matrix, self.index, self.scale
        value = self.objective(beta, genes)
        converged = np.zeros(len(beta), dtype=bool)
        active = np.arange(len(beta))
        for _ in range(max_iterations):
            if len(active) == 0:
                break
            rows = genes[active]
            b, y, r = beta[active], self.counts[rows], self.size[rows, None]
            expected = np.exp(b @ design.T + self.offset)
            shrunk = b[:, index]
            gradient = b * self.normal_precision - (y - (y + r) / (1 + r / expected)) @ design
            gradient[:, index] += 2 * shrunk / (scale ** 2 + shrunk ** 2)
            curvature = np.nan_to_num((y + r) * r * expected / (r + expected) ** 2)
            # The Hessian only steers the step (the optimum is where the exact gradient vanishes), so it is kept
            # positive definite: the Cauchy prior's curvature is cut at 0 and every column gets a tiny ridge.
            ridge = np.tile(self.normal_precision + 1e-8, (len(active), 1))
            ridge[:, index] += np.maximum(2 * (scale ** 2 - shrunk ** 2) / (scale ** 2 + shrunk ** 2) ** 2, 0)
            direction = -self.blocks.factor(curvature, ridge).solve(gradient)
            slope = (gradient * direction).sum(axis=1)
            # Converged: the Newton step is below 1e-9, or its decrease is below the objective's float resolution.
            done = (np.abs(direction).max(axis=1) < 1e-9) | (-slope <= 1e-14 * np.maximum(np.abs(value[active]), 1))
            converged[active[done]] = True
            active, b, direction, slope = active[~done], b[~done], direction[~done], slope[~done]
            step = np.ones(len(active))
            candidate = b + direction
            new_value = self.objective(candidate, genes[active])
            worse = ~(new_value <= value[active] + 1e-4 * step * slope)
            for _ in range(40):
                if not worse.any():
                    break
                step[worse] /= 2
                candidate[worse] = b[worse] + step[worse, None] * direction[worse]
                new_value[worse] = self.objective(candidate[worse], genes[active[worse]])
                worse = ~(new_value <= value[active] + 1e-4 * step * slope)
            beta[active] = np.where(worse[:, None], b, candidate)
            value[active] = np.where(worse, value[active], new_value)
            active = active[~worse]  # no descent found: not converged
        return beta, converged


@dataclass
class DeseqFit:
    """DESeq2's fit of one design: per-gene estimates on the natural log scale, and what the tests need.

    ``obs``, ``var`` and ``uns`` give the same views as a pydeseq2 ``DeseqDataSet`` (size factors;
    dispersions; prior variance), so code and tests written against pydeseq2 read a fit the same way.
    """

    design: pd.DataFrame
    genes: pd.Index
    counts: np.ndarray
    size_factors: np.ndarray
    base_mean: np.ndarray
    non_zero: np.ndarray
    genewise: np.ndarray
    trend: np.ndarray
    dispersions: np.ndarray
    beta: np.ndarray
    replaced_rows: np.ndarray  # the refitted genes' counts with Cook's outliers replaced, in gene order
    refitted: np.ndarray
    new_all_zero: np.ndarray
    cooks_outlier: np.ndarray
    prior_disp_var: float
    squared_logres: float
    trend_model: Trend
    n_cpus: int = 1
    chunk_size: int = 2048
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def var_names(self) -> pd.Index:
        return self.genes

    @property
    def obs_names(self) -> pd.Index:
        return self.design.index

    @property
    def obs(self) -> pd.DataFrame:
        return pd.DataFrame({"size_factors": self.size_factors}, index=self.design.index)

    @property
    def var(self) -> pd.DataFrame:
        return pd.DataFrame({"baseMean": self.base_mean, "genewise_dispersions": self.genewise,
                             "fitted_dispersions": self.trend, "dispersions": self.dispersions,
                             "refitted": self.refitted, "cooks_outlier": self.cooks_outlier}, index=self.genes)

    @property
    def uns(self) -> dict[str, float]:
        return {"prior_disp_var": self.prior_disp_var, "squared_logres": self.squared_logres}

    def counts_after_replacement(self, genes: np.ndarray) -> np.ndarray:
        """The counts of ``genes`` (indices) with Cook's outliers replaced where the gene was refitted."""
        counts = self.counts[genes]
        refitted = self.refitted[genes]
        if refitted.any():
            counts = counts.copy()
            counts[refitted] = self.replaced_rows[np.searchsorted(np.flatnonzero(self.refitted), genes[refitted])]
        return counts

    @property
    def blocks(self) -> DesignBlocks:
        if "blocks" not in self._cache:
            self._cache["blocks"] = DesignBlocks.from_matrix(self.design.to_numpy(float))
        return self._cache["blocks"]

    def _over_genes(self, function: Callable[[np.ndarray], dict[str, np.ndarray]], genes: np.ndarray
                    ) -> dict[str, np.ndarray]:
        return over_genes(function, genes, chunk_size=self.chunk_size, n_cpus=self.n_cpus)

    def wald(self, contrasts: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Wald tests of contrast vectors: ``estimate``, ``se``, ``stat``, ``pvalue`` (all genes; natural log)."""
        design, blocks = self.design.to_numpy(float), self.blocks
        vectors = np.asarray(contrasts, dtype=float)
        genes = np.flatnonzero(self.non_zero)

        def test(chunk: np.ndarray) -> dict[str, np.ndarray]:
            mu = self.size_factors * np.exp(self.beta[chunk] @ design.T)
            weights = mu / (1 + mu * self.dispersions[chunk, None])
            factor = blocks.factor(weights, 1e-6)
            out = {}
            for k, vector in enumerate(vectors):
                solved = factor.solve(np.broadcast_to(vector, (len(chunk), len(vector))))
                out[f"se{k}"] = np.sqrt((weights * (solved @ design.T) ** 2).sum(axis=1))
            return out

        errors = self._over_genes(test, genes)
        results = []
        for k, vector in enumerate(vectors):
            estimate = np.full(len(self.genes), np.nan)
            se = np.full(len(self.genes), np.nan)
            estimate[genes] = self.beta[genes] @ vector
            se[genes] = errors[f"se{k}"]
            with np.errstate(divide="ignore", invalid="ignore"):
                stat = estimate / se
            pvalue = 2 * norm.sf(np.abs(stat))
            se[self.new_all_zero], stat[self.new_all_zero], pvalue[self.new_all_zero] = 0.0, 0.0, 1.0
            results.append({"estimate": estimate, "se": se, "stat": stat, "pvalue": pvalue})
        return results

    def likelihood_ratio(self, reduced: pd.DataFrame) -> tuple[np.ndarray, int]:
        """DESeq2's LRT statistic against a reduced design (refitted by IRLS with the final dispersions)."""
        full = self.design.to_numpy(float)
        reduced_blocks = DesignBlocks.from_matrix(reduced.loc[self.design.index].to_numpy(float))
        degrees = full.shape[1] - reduced.shape[1]
        genes = np.flatnonzero(self.non_zero)

        def statistic(chunk: np.ndarray) -> dict[str, np.ndarray]:
            counts, dispersions = self.counts_after_replacement(chunk), self.dispersions[chunk]
            mu_full = self.size_factors * np.exp(self.beta[chunk] @ full.T)
            zeroed = self.new_all_zero[chunk]  # their coefficients were set to 0; the LRT refits their counts
            if zeroed.any():
                mu_full[zeroed] = irls(counts[zeroed], self.size_factors, self.blocks, dispersions[zeroed],
                                       min_mu=MIN_MU, beta_tol=BETA_TOL).mu
            mu_reduced = irls(counts, self.size_factors, reduced_blocks, dispersions, min_mu=MIN_MU,
                              beta_tol=BETA_TOL).mu
            return {"stat": 2 * (_nb_log_likelihood(counts, mu_full, dispersions)
                                 - _nb_log_likelihood(counts, mu_reduced, dispersions))}

        values = np.full(len(self.genes), np.nan)
        values[genes] = self._over_genes(statistic, genes)["stat"]
        return values, degrees

    def shrink(self, contrast: np.ndarray, *, estimate: np.ndarray, se: np.ndarray) -> np.ndarray:
        """apeGLM-shrunken ``contrast . beta`` of every gene (natural log); the MLE where the MAP is not finite."""
        design, index, basis = reparametrised(self.design.to_numpy(float), contrast)
        blocks = DesignBlocks.from_matrix(design)
        scale = min(np.sqrt(apeglm_prior_variance(estimate, se)), 1.0)
        genes = np.flatnonzero(self.non_zero)

        def shrunk(chunk: np.ndarray) -> dict[str, np.ndarray]:
            beta = apeglm_map(self.counts[chunk], self.size_factors, blocks, self.dispersions[chunk], index=index,
                              prior_scale=scale, mle=self.beta[chunk] @ basis.T, mle_se=se[chunk])
            return {"lfc": beta[:, index]}

        values = estimate.copy()
        mapped = self._over_genes(shrunk, genes)["lfc"]
        finite = np.isfinite(mapped)
        values[genes[finite]] = mapped[finite]
        return values

    def results(self, statistic: np.ndarray, pvalue: np.ndarray, *, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """Cook's filtering then independent filtering: the p-values with outliers removed, and padj."""
        pvalue = np.where(self.cooks_outlier, np.nan, pvalue)
        return pvalue, independent_filtering(self.base_mean, pvalue, alpha=alpha)


def _nb_log_likelihood(counts: np.ndarray, mu: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """Negative-binomial log-likelihood of each gene (``scipy.stats.nbinom.logpmf`` summed over samples)."""
    size = 1.0 / dispersions[:, None]
    return (gammaln(counts + size) - gammaln(size) - gammaln(counts + 1) + size * np.log(size / (size + mu))
            + xlogy(counts, mu / (size + mu))).sum(axis=1)


def fit(counts: pd.DataFrame, design: pd.DataFrame, *, n_cpus: int = 1, chunk_size: int = 2048,
        min_disp: float = MIN_DISP, max_disp: float = MAX_DISP, min_replicates: int = MIN_REPLICATES,
        prior_seed: int = 2) -> DeseqFit:
    """Fit DESeq2's model of one design: size factors, dispersions, coefficients, Cook's outliers and refit.

    Parameters
    ----------
    counts
        Raw counts, genes x samples; the design's samples are used, in the design's order.
    design
        Samples x columns model matrix of full column rank.
    n_cpus
        Threads working on chunks of genes (the rule's threads).
    chunk_size
        Genes per chunk; memory grows with chunk size x samples x dense columns.
    """
    ordered = counts if list(counts.columns) == list(design.index) else counts[design.index]
    raw = ordered.to_numpy(dtype=np.int64, copy=False)
    design_matrix = design.to_numpy(float)
    n, p = design_matrix.shape
    if n <= p:
        raise ValueError(f"the design has {p} columns for {n} samples: no residual degrees of freedom to estimate "
                         "dispersions")
    max_disp = max(max_disp, n)
    factors = size_factors(raw)
    base_mean = np.concatenate([(block / factors).mean(axis=1) for block in np.array_split(
        raw, max(1, len(raw) // 4096))])
    non_zero = raw.any(axis=1)
    genes = np.flatnonzero(non_zero)
    blocks = DesignBlocks.from_matrix(design_matrix)
    model = DispersionModel(blocks, factors, min_disp, max_disp,
                            linear_mu=len(design.drop_duplicates()) == p)

    def over(function: Callable[[np.ndarray], dict[str, np.ndarray]], selection: np.ndarray
             ) -> dict[str, np.ndarray]:
        return over_genes(function, selection, chunk_size=chunk_size, n_cpus=n_cpus)

    mu_hat = np.empty((len(raw), n))

    def genewise_of(chunk: np.ndarray) -> dict[str, np.ndarray]:
        estimates = model.genewise(raw[chunk])
        mu_hat[chunk] = estimates.pop("mu")
        return estimates

    first = over(genewise_of, genes)
    genewise = np.full(len(raw), np.nan)
    genewise[genes] = first["genewise"]
    trend_model = fit_trend(base_mean[genes], genewise[genes], min_disp=min_disp)
    trend = np.full(len(raw), np.nan)
    trend[genes] = trend_model(base_mean[genes])
    variance, squared_logres = prior_variance(genewise[genes], trend[genes], residual_df=n - p, min_disp=min_disp,
                                              seed=prior_seed)

    cutoff = f.ppf(0.99, p, n - p)
    replaceable = n_or_more_replicates(design, min_replicates).to_numpy()
    use_for_max = n_or_more_replicates(design, 3).to_numpy()

    def second(chunk: np.ndarray) -> dict[str, np.ndarray]:
        y = raw[chunk]
        dispersions = model.maximum_a_posteriori(y, mu_hat[chunk], genewise[chunk], trend[chunk], variance=variance)
        outlier = np.log(genewise[chunk]) > np.log(trend[chunk]) + OUTLIER_SD * np.sqrt(squared_logres)
        dispersions = np.where(outlier, genewise[chunk], dispersions)
        fitted = irls(y, factors, blocks, dispersions, min_mu=MIN_MU, beta_tol=BETA_TOL)
        cooks = cooks_distances(y, fitted.mu, fitted.hat, factors, design)
        over_cutoff = cooks > cutoff
        replaced = over_cutoff.any(axis=1) & replaceable.any()
        replacement = y.copy()
        if replaced.any():
            trimmed = trimmed_mean((y[replaced] / factors).T, trim=0.2, axis=0)
            new_counts = (trimmed[:, None] * factors).astype(int)
            mask = replaceable[None, :] & over_cutoff[replaced]
            replacement[replaced] = np.where(mask, new_counts, y[replaced])
        new_all_zero = replaced & ~replacement.any(axis=1)
        refitted = replaced & ~new_all_zero
        effective = np.where(refitted[:, None] & replaceable[None, :], 0.0, cooks)
        outlier_gene = (effective[:, use_for_max] > cutoff).any(axis=1)
        if outlier_gene.any():
            position = np.argmax(cooks[outlier_gene], axis=1)
            at_max = y[outlier_gene, position]
            outlier_gene[outlier_gene] = (y[outlier_gene] > at_max[:, None]).sum(axis=1) < 3
        # Only the refitted genes' rows (new all-zero genes keep their counts).
        return {"dispersions": dispersions, "beta": fitted.beta, "replaced_rows": replacement[refitted],
                "refitted": refitted, "new_all_zero": new_all_zero, "cooks_outlier": outlier_gene}

    final = over(second, genes)
    dispersions = np.full(len(raw), np.nan)
    beta = np.full((len(raw), p), np.nan)
    flags = {name: np.zeros(len(raw), dtype=bool) for name in ("refitted", "new_all_zero", "cooks_outlier")}
    dispersions[genes], beta[genes] = final["dispersions"], final["beta"]
    for name, values in flags.items():
        values[genes] = final[name]
    refit_genes = np.flatnonzero(flags["refitted"])
    replaced_rows = final["replaced_rows"]  # in the order of refit_genes
    if len(refit_genes):
        log.info("%d genes refitted after replacing Cook's outliers", len(refit_genes))
        y = replaced_rows
        base_mean[refit_genes] = (y / factors).mean(axis=1)
        again = over(lambda chunk: model.genewise(y[chunk]), np.arange(len(refit_genes)))
        genewise[refit_genes] = again["genewise"]
        trend[refit_genes] = trend_model(base_mean[refit_genes])
        map_values = model.maximum_a_posteriori(y, again["mu"], genewise[refit_genes], trend[refit_genes],
                                                variance=variance)
        outlier = np.log(genewise[refit_genes]) > np.log(trend[refit_genes]) + OUTLIER_SD * np.sqrt(squared_logres)
        dispersions[refit_genes] = np.where(outlier, genewise[refit_genes], map_values)
        beta[refit_genes] = irls(y, factors, blocks, dispersions[refit_genes], min_mu=MIN_MU,
                                 beta_tol=BETA_TOL).beta
    zeroed = flags["new_all_zero"]
    base_mean[zeroed] = 0.0
    beta[zeroed] = 0.0
    return DeseqFit(design, counts.index, raw, factors, base_mean, non_zero, genewise, trend, dispersions, beta,
                    replaced_rows, flags["refitted"], zeroed, flags["cooks_outlier"], variance, squared_logres,
                    trend_model, n_cpus=n_cpus, chunk_size=chunk_size)


def variance_stabilising_transformation(counts: pd.DataFrame, *, n_cpus: int = 1, chunk_size: int = 2048
                                        ) -> pd.DataFrame:
    """DESeq2's blind variance-stabilising transformation (``varianceStabilizingTransformation(blind=TRUE)``).

    Size factors, gene-wise dispersions of the intercept-only design and the parametric trend as in
    :func:`fit`; then ``log2((1 + a1 + 2 a0 q + 2 sqrt(a0 q (1 + a1 + a0 q))) / (4 a0))`` of the normalised
    counts ``q``. When the parametric trend does not fit, DESeq2's formula for a constant dispersion ``d``:
    ``(2 asinh(sqrt(d q)) - log d - log 4) / log 2``. Returns genes x samples.
    """
    raw = counts.to_numpy(dtype=np.int64)
    factors = size_factors(raw)
    n = raw.shape[1]
    model = DispersionModel(DesignBlocks.from_matrix(np.ones((n, 1))), factors, MIN_DISP, max(MAX_DISP, n),
                            linear_mu=True)
    genes = np.flatnonzero(raw.any(axis=1))
    genewise = over_genes(lambda chunk: {"genewise": model.genewise(raw[chunk])["genewise"]}, genes,
                          chunk_size=chunk_size, n_cpus=n_cpus)["genewise"]
    normed = raw / factors
    trend = fit_trend(normed[genes].mean(axis=1), genewise, min_disp=MIN_DISP)
    if trend.coefficients is not None:
        a0, a1 = trend.coefficients
        values = np.log2((1 + a1 + 2 * a0 * normed + 2 * np.sqrt(a0 * normed * (1 + a1 + a0 * normed))) / (4 * a0))
    else:
        d = trend.mean_dispersion
        values = (2 * np.arcsinh(np.sqrt(d * normed)) - np.log(d) - np.log(4)) / np.log(2)
    return pd.DataFrame(values, index=counts.index, columns=counts.columns)
