"""DESeq2's dispersion line search (gene-wise and MAP), reproduced so that pydeseq2's results match R.

pydeseq2 maximises the Cox-Reid adjusted likelihood with L-BFGS-B; DESeq2 (``estimateDispersionsGeneEst``) runs a
gradient line search with the Armijo rule from the moments estimate, keeps the starting value when the search
does not raise the objective by a millionth of its size (``noIncrease``), and refits by grid search the genes
whose search did not converge. On high-count genes the two disagree, which moves the dispersion trend, the prior
and every p-value. The MAP step (``estimateDispersionsMAP``) uses the same search with the log-normal prior,
started from the gene-wise estimate where it exceeds a tenth of the trend. The trend itself follows
``parametricDispersionFit`` and the prior variance for few residual degrees of freedom
``estimateDispersionsPriorVar``. The trend and the prior serve both the vectorised engine
(:mod:`trialrna.deseq2`) and the pydeseq2 route (:mod:`trialrna.pydeseq2_route`); the per-gene line search here is
the pydeseq2 route's. This module follows DESeq2's procedure (written from its published algorithm and constants).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln
from skmisc.loess import loess

#: DESeq2 defaults: initial step, tolerance on the log-posterior change, iterations, Armijo constant.
KAPPA_0, TOLERANCE, MAX_ITERATIONS, ARMIJO_EPSILON = 1.0, 1e-6, 100, 1e-4
#: DESeq2 bounds log(alpha) to [-30, 10] inside the search (lgamma is unstable beyond).
LOG_ALPHA_BOUNDS = (-30.0, 10.0)
#: DESeq2's grid for unconverged genes has 20 points.
GRID_POINTS = 20


@dataclass(frozen=True)
class Prior:
    """Normal prior on log(alpha): mean (the trend) and variance."""

    mean: float
    variance: float


def _glm_weights(log_alpha: float, mu: np.ndarray) -> tuple[float, np.ndarray]:
    """alpha and the NB GLM's working weights mu / (1 + alpha mu) at log(alpha)."""
    alpha = np.exp(log_alpha)
    return alpha, 1.0 / (1.0 / mu + alpha)


def _log_posterior(log_alpha: float, counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                   prior: Prior | None = None) -> float:
    """Cox-Reid adjusted NB log-likelihood of log(alpha), up to terms free of alpha, plus the log prior."""
    alpha, weights = _glm_weights(log_alpha, mu)
    cox_reid = -0.5 * np.linalg.slogdet((design.T * weights) @ design)[1]
    inverse = 1.0 / alpha
    likelihood = np.sum(gammaln(counts + inverse) - gammaln(inverse) - counts * np.log(mu + inverse)
                        - inverse * np.log1p(mu * alpha))
    prior_term = -0.5 * (log_alpha - prior.mean) ** 2 / prior.variance if prior else 0.0
    return float(likelihood + cox_reid + prior_term)


def _dlog_posterior(log_alpha: float, counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                    prior: Prior | None = None) -> float:
    """Derivative of :func:`_log_posterior` with respect to log(alpha)."""
    alpha, weights = _glm_weights(log_alpha, mu)
    information = (design.T * weights) @ design
    d_information = (design.T * -(weights ** 2)) @ design
    cox_reid = -0.5 * np.trace(np.linalg.solve(information, d_information))
    inverse = 1.0 / alpha
    likelihood = inverse ** 2 * np.sum(digamma(inverse) + np.log1p(mu * alpha) - mu * alpha / (1.0 + mu * alpha)
                                       - digamma(counts + inverse) + counts / (mu + inverse))
    prior_term = -(log_alpha - prior.mean) / prior.variance if prior else 0.0
    return float((likelihood + cox_reid) * alpha + prior_term)


def line_search_dispersion(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, *, log_alpha: float,
                           min_log_alpha: float, prior: Prior | None = None) -> tuple[float, int, float, float]:
    """One gene's DESeq2 line search on log(alpha), with an optional log-normal prior (MAP).

    Returns
    -------
    log_alpha, iterations, initial log-posterior, last log-posterior
    """
    lower, upper = LOG_ALPHA_BOUNDS
    position = log_alpha
    current = _log_posterior(position, counts, mu, design, prior)
    gradient = _dlog_posterior(position, counts, mu, design, prior)
    initial, step, iterations, accepted = current, KAPPA_0, 0, 0
    for _ in range(MAX_ITERATIONS):
        iterations += 1
        proposal = position + step * gradient
        if proposal < lower:
            step = (lower - position) / gradient
        if proposal > upper:
            step = (upper - position) / gradient
        candidate = _log_posterior(position + step * gradient, counts, mu, design, prior)
        if -candidate <= -current - step * ARMIJO_EPSILON * gradient ** 2:
            accepted += 1
            position += step * gradient
            new = _log_posterior(position, counts, mu, design, prior)
            change, current = new - current, new
            if change < TOLERANCE or position < min_log_alpha:
                break
            gradient = _dlog_posterior(position, counts, mu, design, prior)
            step = min(step * 1.1, KAPPA_0)
            if accepted % 5 == 0:
                step /= 2.0
        else:
            step /= 2.0
    return position, iterations, initial, current


def _in_blocks(block_function, counts: np.ndarray, mu: np.ndarray, design: np.ndarray, *,
               per_gene: tuple[np.ndarray, ...], shared: tuple, n_jobs: int, block_size: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Run a per-gene block function over blocks of genes with joblib; concatenate estimates and flags."""
    from joblib import Parallel, delayed

    blocks = [slice(start, start + block_size) for start in range(0, counts.shape[1], block_size)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(block_function)(counts[:, block], mu[:, block], design, *(values[block] for values in per_gene),
                                *shared)
        for block in blocks)
    return (np.concatenate([estimates for estimates, _ in results]),
            np.concatenate([converged for _, converged in results]))


def _estimate_block(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, alpha_init: np.ndarray,
                    min_disp: float, max_disp: float) -> tuple[np.ndarray, np.ndarray]:
    from pydeseq2.utils import grid_fit_alpha  # via utils: importing grid_search first is circular

    estimates = np.empty(counts.shape[1])
    converged = np.empty(counts.shape[1], dtype=bool)
    for gene in range(counts.shape[1]):
        log_alpha, iterations, initial, last = line_search_dispersion(
            counts[:, gene], mu[:, gene], design, log_alpha=np.log(alpha_init[gene]),
            min_log_alpha=np.log(min_disp / 10))
        estimate = min(np.exp(log_alpha), max_disp)
        if last < initial + abs(initial) / 1e6:  # DESeq2's noIncrease: keep the starting value
            estimate = alpha_init[gene]
        converged[gene] = iterations < MAX_ITERATIONS and iterations != 1
        if not converged[gene] and estimate > min_disp * 10:
            estimate = np.exp(grid_fit_alpha(counts[:, gene], design, mu[:, gene], alpha_init[gene], min_disp,
                                             max_disp, cr_reg=True, prior_reg=False, grid_length=GRID_POINTS))
        estimates[gene] = estimate
    return np.clip(estimates, min_disp, max_disp), converged


def deseq2_genewise_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, alpha_init: np.ndarray,
                                *, min_disp: float, max_disp: float, n_jobs: int,
                                block_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersions as DESeq2's ``estimateDispersionsGeneEst`` computes them.

    Parameters
    ----------
    counts, mu
        Samples x genes raw counts and fitted means (pydeseq2's ``_mu_hat``).
    design
        Samples x columns design matrix.
    alpha_init
        Starting values: the minimum of DESeq2's rough and moments estimates (pydeseq2's ``_MoM_dispersions``).
    min_disp, max_disp
        Bounds of the estimates.
    n_jobs
        Processes for joblib.

    Returns
    -------
    Dispersions and a convergence flag per gene.
    """
    return _in_blocks(_estimate_block, counts, mu, design, per_gene=(alpha_init,), shared=(min_disp, max_disp),
                      n_jobs=n_jobs, block_size=block_size)


def _map_block(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, alpha_init: np.ndarray,
               trend: np.ndarray, prior_variance: float, min_disp: float, max_disp: float
               ) -> tuple[np.ndarray, np.ndarray]:
    from pydeseq2.utils import grid_fit_alpha  # via utils: importing grid_search first is circular

    estimates = np.empty(counts.shape[1])
    converged = np.empty(counts.shape[1], dtype=bool)
    for gene in range(counts.shape[1]):
        prior = Prior(float(np.log(trend[gene])), prior_variance)
        log_alpha, iterations, _, _ = line_search_dispersion(
            counts[:, gene], mu[:, gene], design, log_alpha=np.log(alpha_init[gene]),
            min_log_alpha=np.log(min_disp / 10), prior=prior)
        converged[gene] = iterations < MAX_ITERATIONS
        estimates[gene] = np.exp(log_alpha) if converged[gene] else np.exp(grid_fit_alpha(
            counts[:, gene], design, mu[:, gene], trend[gene], min_disp, max_disp, prior_disp_var=prior_variance,
            cr_reg=True, prior_reg=True, grid_length=GRID_POINTS))
    return np.clip(estimates, min_disp, max_disp), converged


def deseq2_map_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, *, genewise: np.ndarray,
                           trend: np.ndarray, prior_variance: float, min_disp: float, max_disp: float, n_jobs: int,
                           block_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """MAP dispersions as DESeq2's ``estimateDispersionsMAP`` computes them (before its outlier rule).

    The search starts from the gene-wise estimate where it exceeds a tenth of the trend, else from the trend,
    and the prior is normal on log(alpha) around the trend with ``prior_variance``.
    """
    alpha_init = np.where(genewise > 0.1 * trend, genewise, trend)
    return _in_blocks(_map_block, counts, mu, design, per_gene=(alpha_init, trend),
                      shared=(prior_variance, min_disp, max_disp), n_jobs=n_jobs, block_size=block_size)


def parametric_dispersion_trend(means: np.ndarray, dispersions: np.ndarray) -> np.ndarray | None:
    """DESeq2's ``parametricDispersionFit``: ``alpha(mu) = a0 + a1 / mu`` by an iterated Gamma GLM.

    Each iteration keeps the genes whose dispersion lies within (1e-4, 15) times the current curve (chosen anew
    from all genes, starting from a0 = 0.1, a1 = 1) and refits a Gamma GLM with identity link, as R's ``glm``
    does (statsmodels' IRLS), until the squared log change of the coefficients is below 1e-6 or 11 fits.

    Returns
    -------
    ``[a0, a1]``, or None when a coefficient is not positive (DESeq2 then abandons the parametric fit).
    """
    import statsmodels.api as sm  # a second to import: only the trend fit needs it

    coefficients = np.array([0.1, 1.0])
    for _ in range(11):
        ratio = dispersions / (coefficients[0] + coefficients[1] / means)
        good = (ratio > 1e-4) & (ratio < 15)
        covariates = np.column_stack([np.ones(good.sum()), 1.0 / means[good]])
        family = sm.families.Gamma(link=sm.families.links.Identity())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # identity-link domain warnings; positivity is checked below
            fit = sm.GLM(dispersions[good], covariates, family=family).fit(start_params=coefficients)
        previous, coefficients = coefficients, np.asarray(fit.params)
        if not np.all(coefficients > 0):
            return None
        if np.sum(np.log(coefficients / previous) ** 2) < 1e-6:
            break
    return coefficients


def dispersion_prior_variance_by_simulation(residuals: np.ndarray, *, df: int, seed: int = 2,
                                            n_draws: int = 10_000) -> float:
    """DESeq2's estimate of the log-dispersion prior variance for residual df <= 3.

    Follows ``DESeq2:::estimateDispersionsPriorVar``: for each candidate variance on a grid of 200 values in
    [0, 8], simulate log residuals ``log(chi2_df / df) + N(0, variance)``, measure the KL divergence of their
    histogram from the observed residuals' histogram, smooth the divergences with loess (span 0.2, as R's
    ``loess``) and take the minimiser on a fine grid. The caller applies DESeq2's floor of 0.25.

    Parameters
    ----------
    residuals
        log(gene-wise dispersion) - log(trend), for genes above the minimum dispersion.
    df
        Residual degrees of freedom (samples minus design columns).
    seed
        Seed of the simulation (DESeq2 uses ``set.seed(2)``; R's and numpy's streams differ, the estimate does
        not depend on them beyond Monte Carlo error).
    """
    rng = np.random.default_rng(seed)
    breaks = np.arange(-20, 21) / 2
    observed = residuals[(residuals > breaks[0]) & (residuals < breaks[-1])]
    observed_density, _ = np.histogram(observed, bins=breaks, density=True)
    grid = np.linspace(0, 8, 200)
    divergence = np.empty_like(grid)
    for index, variance in enumerate(grid):
        simulated = np.log(rng.chisquare(df, n_draws)) + rng.normal(0, np.sqrt(variance), n_draws) - np.log(df)
        simulated = simulated[(simulated > breaks[0]) & (simulated < breaks[-1])]
        simulated_density, _ = np.histogram(simulated, bins=breaks, density=True)
        both = np.concatenate([observed_density, simulated_density])
        small = both[both > 0].min()
        divergence[index] = np.sum(observed_density * (np.log(observed_density + small) -
                                                       np.log(simulated_density + small)))
    smoother = loess(grid, divergence, span=0.2, degree=2)
    smoother.fit()
    fine_grid = np.linspace(0, 8, 1000)
    return float(fine_grid[np.argmin(smoother.predict(fine_grid).values)])
