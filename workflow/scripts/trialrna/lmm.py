"""A weighted linear mixed model with one random intercept per patient, fitted by REML for many genes at once.

Per gene, ``y = X beta + Z u + e`` with ``u ~ N(0, sigma_b^2 I)`` (one intercept per patient) and
``e_j ~ N(0, sigma^2 / w_j)`` (observation weights, e.g. voom's), as ``lme4::lmer(y ~ 0 + X + (1 | patient),
weights = w, REML = TRUE)`` fits it. With ``theta = sigma_b / sigma`` (lme4's parameter) and ``lambda = theta^2`` the
covariance is ``sigma^2 H``, ``H`` block diagonal by patient with blocks ``D_i + lambda 11'`` (``D_i`` the
inverse weights). Sherman-Morrison gives ``H_i^-1 = W_i - c_i w_i w_i'`` with ``c_i = lambda / (1 + lambda s_i)``
and ``s_i`` the patient's summed weights, so everything REML needs is a low-rank update of per-gene sufficient
statistics (``X'WX``, ``X'Wy``, ``y'Wy`` and, per patient, ``X_i'w_i``, ``s_i``, ``w_i'y_i``)::

    X'H^-1 X = X'WX - sum_i c_i b_i b_i',   b_i = X_i' w_i
    log|H|   = sum_i log(1 + lambda s_i) + const

and the REML criterion with ``sigma`` profiled out, ``log|H| + log|X'H^-1 X| + (n - p) log(r'H^-1 r)``, is a few
array operations on (genes, patients, columns) arrays per value of ``theta``.

Optimisation: the criterion is one-dimensional in ``theta``; it is evaluated for all genes on a grid (0 and 25
points from 1e-3 to 1e3, geometric), each gene's best grid point is refined by golden-section search between its
neighbours (40 steps), and three Newton steps on the analytic derivatives, kept inside that bracket, then locate the
minimum to rounding (golden section alone stops at ~sqrt(machine precision) of a flat criterion, which would make
results depend on how genes are blocked). ``theta = 0`` (lme4's singular fit) is kept when it is at least as good,
or when the criterion rises from ``lambda = 0`` and the search ended below the first grid point. The grid and the
bracketed search cannot diverge and handle the boundary without special cases; Newton alone from a start value
would need safeguards for both. Each evaluation is a batched p x p solve for all genes of a block. statsmodels'
``MixedLM`` takes no observation weights and needs one iterative fit per gene (0.12 s each for 180 samples,
~30 min for 15,000 genes: benchmarks/mixed_model.py); lme4 is R.

Degrees of freedom: Satterthwaite's approximation as lmerTest computes it, for a contrast ``L``:
``df = 2 V^2 / (g' A g)`` with ``V = sigma^2 L'(X'H^-1 X)^-1 L``, ``g`` the gradient of ``V`` with respect to
``(theta, sigma)`` and ``A = 2 Hessian^-1`` of the REML deviance in ``(theta, sigma)`` (Moore-Penrose inverse over
eigenvalues above 1e-8, as lmerTest). lmerTest takes both by numerical differentiation (numDeriv); here they are
analytic (derivatives in ``lambda`` of ``log|H|``, ``log|X'H^-1 X|`` and the profiled residual sum of squares by the
envelope theorem, then the chain rule to ``theta``). At ``theta = 0`` the gradient in ``theta`` vanishes and
``df = n - p``, as for weighted least squares.

Also returned: the approximate residual degrees of freedom ``tr((I - H_hat)'(I - H_hat))`` of
``variancePartition::rdf.merMod`` (weighted hat matrix of fixed effects and BLUPs), which dream's ``eBayes`` uses to
moderate ``sigma^2``, here in closed form through the same low-rank updates: in the ``sqrt(W)`` scale
``I - H_hat = G - F (X'H^-1X)^-1 F'`` with ``G`` block diagonal (``I - c_i u_i u_i'``, ``u_i = sqrt(w_i)``) and
``F = G W^1/2 X``, so ``tr((I - H_hat)^2) = tr(G^2) - 2 tr((X'H^-1X)^-1 X'W^1/2 G^3 W^1/2 X)
+ tr(((X'H^-1X)^-1 X'W^1/2 G^2 W^1/2 X)^2)``, and ``X'W^1/2 G^k W^1/2 X = X'WX - sum_i (1 - (1 + lambda s_i)^-k)
/ s_i b_i b_i'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Relative-SD grid for the first pass (0 is lme4's lower bound; 1e3 is far above blood patient effects).
THETA_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 25)])
GOLDEN_STEPS = 40
NEWTON_STEPS = 3
#: lmerTest's threshold on the eigenvalues of the deviance Hessian.
EIGEN_TOL = 1e-8
_INVERSE_PHI = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass
class _Statistics:
    """Per-gene sufficient statistics of one block of genes (g genes, m patients, p columns)."""

    xwx: np.ndarray  # g x p x p
    xwy: np.ndarray  # g x p
    ywy: np.ndarray  # g
    weight_sums: np.ndarray  # g x m, s_i
    weighted_sums: np.ndarray  # g x m, w_i'y_i
    patient_columns: np.ndarray  # g x m x p, b_i = X_i'w_i
    n: int
    p: int

    @classmethod
    def of(cls, y: np.ndarray, weights: np.ndarray, design: np.ndarray, membership: np.ndarray) -> _Statistics:
        n, p = design.shape
        genes, patients = len(y), membership.shape[1]
        wy = weights * y
        # Each product is one matrix multiplication over samples, with no genes x samples x columns temporary.
        xwx = (weights @ (design[:, :, None] * design[:, None, :]).reshape(n, p * p)).reshape(genes, p, p)
        per_patient = (membership[:, :, None] * design[:, None, :]).reshape(n, patients * p)
        return cls(xwx, wy @ design, (wy * y).sum(axis=1), weights @ membership, wy @ membership,
                   (weights @ per_patient).reshape(genes, patients, p), n, p)

    def gram(self, coefficient: np.ndarray) -> np.ndarray:
        """``X'WX - sum_i coefficient_i b_i b_i'`` for a g x m array of per-patient coefficients."""
        scaled = coefficient[:, :, None] * self.patient_columns
        return self.xwx - np.matmul(scaled.transpose(0, 2, 1), self.patient_columns)


def _criterion(stats: _Statistics, theta: np.ndarray) -> np.ndarray:
    """The REML criterion (-2 log restricted likelihood, sigma profiled, constants dropped) at ``theta``."""
    lam = theta ** 2
    den = 1.0 + lam[:, None] * stats.weight_sums
    c = lam[:, None] / den
    gram = stats.gram(c)
    xhy = stats.xwy - np.einsum("gm,gmp->gp", c * stats.weighted_sums, stats.patient_columns)
    yhy = stats.ywy - (c * stats.weighted_sums ** 2).sum(axis=1)
    sign, log_det = np.linalg.slogdet(gram)
    beta = np.linalg.solve(gram, xhy[:, :, None])[:, :, 0]
    residual = np.maximum(yhy - (xhy * beta).sum(axis=1), np.finfo(float).tiny)
    value = np.log(den).sum(axis=1) + log_det + (stats.n - stats.p) * np.log(residual)
    return np.where(sign > 0, value, np.inf)


def _optimise_theta(stats: _Statistics) -> np.ndarray:
    """The REML estimate of ``theta`` per gene: grid, golden-section search around the best grid point, Newton."""
    genes = len(stats.ywy)
    grid = np.stack([_criterion(stats, np.full(genes, value)) for value in THETA_GRID], axis=1)
    best = np.argmin(grid, axis=1)
    low = THETA_GRID[np.maximum(best - 1, 0)]
    high = THETA_GRID[np.minimum(best + 1, len(THETA_GRID) - 1)]
    bracket = low.copy(), high.copy()
    left, right = high - _INVERSE_PHI * (high - low), low + _INVERSE_PHI * (high - low)
    f_left, f_right = _criterion(stats, left), _criterion(stats, right)
    for _ in range(GOLDEN_STEPS):
        keep_left = f_left < f_right  # the minimum lies in [low, right]
        high = np.where(keep_left, right, high)
        low = np.where(keep_left, low, left)
        probe = np.where(keep_left, high - _INVERSE_PHI * (high - low), low + _INVERSE_PHI * (high - low))
        f_probe = _criterion(stats, probe)
        left, right, f_left, f_right = (np.where(keep_left, probe, right), np.where(keep_left, left, probe),
                                        np.where(keep_left, f_probe, f_right), np.where(keep_left, f_left, f_probe))
    searched = np.where(f_left < f_right, left, right)
    f_searched = np.minimum(f_left, f_right)
    best_value = grid[np.arange(genes), best]
    theta = np.where(f_searched <= best_value, searched, THETA_GRID[best])
    # The boundary (lme4's singular fit): theta = 0 when it is at least as good, or when the criterion rises from
    # lambda = 0 and the search ended below the first grid point (then it only crept towards 0 through rounding).
    at_zero = _AtTheta.of(stats, np.zeros(genes))
    rising = at_zero.f1 + (stats.n - stats.p) * at_zero.q1 / at_zero.residual >= 0
    boundary = (grid[:, 0] <= np.minimum(f_searched, best_value)) | (rising & (theta < THETA_GRID[1]))
    theta = np.where(boundary, 0.0, theta)
    # Golden section locates the minimum only to ~sqrt(machine precision) of a flat criterion; Newton steps on the
    # analytic derivatives, kept inside the bracket, make it exact (and independent of how genes are blocked).
    for _ in range(NEWTON_STEPS):
        at = _AtTheta.of(stats, theta)
        slope, curvature = at.profile_derivatives()
        step = np.where(curvature > 0, slope / np.where(curvature > 0, curvature, 1.0), 0.0)
        proposal = theta - step
        inside = (theta > 0) & (proposal > bracket[0]) & (proposal < bracket[1]) & (proposal > 0)
        theta = np.where(inside, proposal, theta)
    return theta


def _trace_product(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """tr(first @ second) for stacks of square matrices."""
    return np.einsum("gij,gji->g", first, second)


@dataclass
class _AtTheta:
    """The fit of a block of genes at given ``theta``, with the lambda derivatives REML and Satterthwaite need.

    ``f = log|H| + log|X'H^-1X|`` and ``Q`` (the profiled residual sum of squares ``r'H^-1r``) have first and second
    derivatives ``f1, f2, q1, q2`` in ``lambda = theta^2``; ``Q``'s by the envelope theorem (its gradient in beta
    vanishes at the GLS estimate).
    """

    stats: _Statistics
    theta: np.ndarray
    inverse: np.ndarray  # (X'H^-1X)^-1, g x p x p
    beta: np.ndarray
    residual: np.ndarray  # Q
    c: np.ndarray
    c1: np.ndarray
    den: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    q1: np.ndarray
    q2: np.ndarray

    @classmethod
    def of(cls, stats: _Statistics, theta: np.ndarray) -> _AtTheta:
        lam = theta ** 2
        s, b = stats.weight_sums, stats.patient_columns
        den = 1.0 + lam[:, None] * s
        c, c1, c2 = lam[:, None] / den, 1.0 / den ** 2, -2.0 * s / den ** 3  # c and its lambda derivatives
        inverse = np.linalg.inv(stats.gram(c))
        xhy = stats.xwy - np.einsum("gm,gmp->gp", c * stats.weighted_sums, b)
        beta = np.einsum("gpq,gq->gp", inverse, xhy)
        patient_residual = stats.weighted_sums - np.einsum("gmp,gp->gm", b, beta)  # w_i'(y_i - X_i beta)
        residual = np.maximum(stats.ywy - (c * stats.weighted_sums ** 2).sum(axis=1) - (xhy * beta).sum(axis=1),
                              np.finfo(float).tiny)
        m1 = inverse @ (stats.gram(c1) - stats.xwx)  # (X'H^-1X)^-1 times d/dlambda X'H^-1X = -sum c' b b'
        m2 = inverse @ (stats.gram(c2) - stats.xwx)
        f1 = (s / den).sum(axis=1) + np.trace(m1, axis1=1, axis2=2)
        f2 = -(s ** 2 / den ** 2).sum(axis=1) + np.trace(m2, axis1=1, axis2=2) - _trace_product(m1, m1)
        q1 = -(c1 * patient_residual ** 2).sum(axis=1)
        d = np.einsum("gm,gmp->gp", c1 * patient_residual, b)
        q2 = -(c2 * patient_residual ** 2).sum(axis=1) - 2.0 * np.einsum("gp,gpq,gq->g", d, inverse, d)
        return cls(stats, theta, inverse, beta, residual, c, c1, den, f1, f2, q1, q2)

    def theta_derivatives(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``f_theta, f_theta_theta, Q_theta, Q_theta_theta`` by the chain rule (lambda = theta^2)."""
        lam = self.theta ** 2
        return (2 * self.theta * self.f1, 2 * self.f1 + 4 * lam * self.f2, 2 * self.theta * self.q1,
                2 * self.q1 + 4 * lam * self.q2)

    def profile_derivatives(self) -> tuple[np.ndarray, np.ndarray]:
        """First and second derivatives in theta of the profiled criterion ``f + (n - p) log Q``."""
        f_t, f_tt, q_t, q_tt = self.theta_derivatives()
        dof, q = self.stats.n - self.stats.p, self.residual
        return f_t + dof * q_t / q, f_tt + dof * (q_tt / q - (q_t / q) ** 2)


def fit_random_intercept(y: np.ndarray, weights: np.ndarray, design: np.ndarray, patients: np.ndarray, *,
                         contrasts: np.ndarray, random_effect: bool = True) -> dict[str, np.ndarray]:
    """REML fit of ``y ~ 0 + design + (1 | patient)`` with observation weights for a block of genes.

    Parameters
    ----------
    y, weights
        Responses and precision weights, genes x samples.
    design
        Samples x p fixed-effects design of full column rank.
    patients
        Integer patient code per sample (0 .. m-1).
    contrasts
        k x p contrast matrix; each row is tested.
    random_effect
        False fixes ``theta = 0`` (weighted least squares), e.g. when no patient has two samples and the patient
        variance cannot be separated from the residual variance.

    Returns
    -------
    ``coefficients`` (g x p), ``theta`` (sigma_b / sigma), ``sigma``, ``estimate``, ``unscaled_variance``
    (``L'(X'H^-1 X)^-1 L``, so the variance is ``sigma^2`` times it) and Satterthwaite ``df`` (g x k each), and the
    approximate residual degrees of freedom ``residual_df`` (rdf.merMod's).
    """
    n, p = design.shape
    membership = (patients[:, None] == np.arange(patients.max() + 1)[None, :]).astype(float)
    stats = _Statistics.of(y, weights, design, membership)
    theta = _optimise_theta(stats) if random_effect else np.zeros(len(y))
    at = _AtTheta.of(stats, theta)
    sigma2 = at.residual / (n - p)
    sigma = np.sqrt(sigma2)
    # The Hessian of lmerTest's REML deviance f + Q / sigma^2 + (n - p) log sigma^2 in (theta, sigma) at the optimum.
    _, f_tt, q_t, q_tt = at.theta_derivatives()
    hessian = np.empty((len(y), 2, 2))
    hessian[:, 0, 0] = f_tt + q_tt / sigma2
    hessian[:, 0, 1] = hessian[:, 1, 0] = -2.0 * q_t / sigma ** 3
    hessian[:, 1, 1] = 6.0 * at.residual / sigma2 ** 2 - 2.0 * (n - p) / sigma2
    values, vectors = np.linalg.eigh(hessian)
    inverse_values = np.where(values > EIGEN_TOL, 1.0 / np.where(values > EIGEN_TOL, values, 1.0), 0.0)
    covariance = 2.0 * np.einsum("gik,gk,gjk->gij", vectors, inverse_values, vectors)

    directions = np.einsum("gpq,kq->gpk", at.inverse, contrasts)  # (X'H^-1X)^-1 L'
    unscaled = np.einsum("kp,gpk->gk", contrasts, directions)
    projected = np.matmul(stats.patient_columns, directions)  # b_i' (X'H^-1X)^-1 L', g x m x k
    grad_theta = sigma2[:, None] * 2.0 * theta[:, None] * np.einsum("gm,gmk->gk", at.c1, projected ** 2)
    grad_sigma = 2.0 * sigma[:, None] * unscaled
    denominator = (grad_theta ** 2 * covariance[:, None, 0, 0] + 2 * grad_theta * grad_sigma * covariance[:, None, 0, 1]
                   + grad_sigma ** 2 * covariance[:, None, 1, 1])
    df = 2.0 * (sigma2[:, None] * unscaled) ** 2 / denominator

    # rdf.merMod's tr((I - H_hat)^2) through the low-rank updates of the module notes.
    s, c, den = stats.weight_sums, at.c, at.den
    power2, power3 = (1.0 - den ** -2.0) / s, (1.0 - den ** -3.0) / s
    trace_g2 = n - (2 * c * s - (c * s) ** 2).sum(axis=1)
    residual_df = (trace_g2 - 2.0 * _trace_product(at.inverse, stats.gram(power3))
                   + _trace_product(*(2 * [at.inverse @ stats.gram(power2)])))
    return {"coefficients": at.beta, "theta": theta, "sigma": sigma, "estimate": at.beta @ contrasts.T,
            "unscaled_variance": unscaled, "df": df, "residual_df": residual_df}
