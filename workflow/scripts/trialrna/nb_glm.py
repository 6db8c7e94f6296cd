"""Negative-binomial GLM algebra for all genes at once: normal equations, IRLS and DESeq2's dispersion search.

Every function works on a block of genes as arrays (genes x samples) instead of looping over genes. The cost of
a GLM fit is in the ``p x p`` matrices ``X' W X`` (one per gene); designs of trials have a special shape that
makes them cheap: the patient columns of a paired or nested design have disjoint supports (each sample belongs
to one patient), so their block of ``X' W X`` is diagonal whatever the weights, and adding a diagonal ridge or
prior keeps it so. :class:`DesignBlocks` splits a design into such columns and the few others, and solves,
inverts and takes determinants through the Schur complement of the diagonal block. A cross-sectional design
has one such column at most and is solved densely, which is as cheap there.

The algorithms follow DESeq2 (and pydeseq2 where DESeq2 and pydeseq2 agree) step for step; the constants are
theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.special import digamma, gammaln

#: DESeq2's dispersion line search: initial step, tolerance on the log-posterior change, iterations, Armijo c.
KAPPA_0, DISPERSION_TOLERANCE, MAX_LINE_SEARCH, ARMIJO_EPSILON = 1.0, 1e-6, 100, 1e-4
#: DESeq2 bounds log(alpha) to [-30, 10] inside the search (lgamma is unstable beyond).
LOG_ALPHA_BOUNDS = (-30.0, 10.0)
#: Points of DESeq2's grid for genes whose line search did not converge.
GRID_POINTS = 20
#: pydeseq2's IRLS: ridge on every coefficient, bounds on the coefficients, iterations before optim.
RIDGE, MAX_BETA, MAX_IRLS = 1e-6, 30.0, 250


@dataclass(frozen=True)
class DesignBlocks:
    """A design split into columns with pairwise disjoint supports (``sparse``) and the rest (``dense``).

    For weights ``w`` and a diagonal ``ridge``, ``X' W X + ridge`` is then ``[[D, B], [B', C]]`` with ``D``
    diagonal; solves, log-determinants and the quadratic forms ``x_i' A^-1 x_i`` go through the Schur
    complement ``S = C - B' D^-1 B`` (``dense`` x ``dense``). The dense part of a trial's design has few
    distinct rows (``patterns``: arm x group x visit), so the per-sample sums go through (owner, pattern)
    cells by one sparse product and no genes x samples x columns array is built.

    Attributes
    ----------
    matrix
        Samples x columns design.
    sparse, dense
        Column indices of the two kinds.
    owner
        Per sample, the position in ``sparse`` of its non-zero sparse column, or -1.
    value
        Per sample, the value of that column (0 where ``owner`` is -1).
    patterns, pattern
        The distinct rows of the dense columns, and each sample's row among them.
    """

    matrix: np.ndarray
    sparse: np.ndarray
    dense: np.ndarray
    owner: np.ndarray
    value: np.ndarray
    patterns: np.ndarray
    pattern: np.ndarray

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> DesignBlocks:
        """Choose the disjoint columns greedily, narrowest support first (the patient columns of a nested design)."""
        matrix = np.asarray(matrix, dtype=float)
        support = matrix != 0
        taken = np.zeros(matrix.shape[0], dtype=bool)
        sparse = []
        for column in np.argsort(support.sum(axis=0), kind="stable"):
            if support[:, column].any() and not (support[:, column] & taken).any():
                sparse.append(int(column))
                taken |= support[:, column]
        if len(sparse) < 2:  # nothing gained over a dense solve
            sparse = []
        sparse = np.array(sorted(sparse), dtype=int)
        dense = np.setdiff1d(np.arange(matrix.shape[1]), sparse)
        owner = np.full(matrix.shape[0], -1)
        value = np.zeros(matrix.shape[0])
        for position, column in enumerate(sparse):
            rows = support[:, column]
            owner[rows] = position
            value[rows] = matrix[rows, column]
        patterns, pattern = np.unique(matrix[:, dense], axis=0, return_inverse=True)
        return cls(matrix, sparse, dense, owner, value, patterns, pattern.ravel())

    @property
    def n_columns(self) -> int:
        return self.matrix.shape[1]

    @cached_property
    def _aggregation(self) -> sparse.csr_matrix:
        """Samples x (owners + patterns + owners * patterns) sparse matrix: ``weights @ it`` gives, per gene, the
        owners' sums of ``w v^2``, the patterns' sums of ``w`` and each (owner, pattern) cell's sum of ``w v``."""
        n, owners, patterns = len(self.matrix), len(self.sparse), len(self.patterns)
        owned = np.flatnonzero(self.owner >= 0)
        rows = np.concatenate([owned, np.arange(n), owned])
        columns = np.concatenate([self.owner[owned], owners + self.pattern,
                                  owners + patterns + self.owner[owned] * patterns + self.pattern[owned]])
        values = np.concatenate([self.value[owned] ** 2, np.ones(n), self.value[owned]])
        return sparse.csr_matrix((values, (rows, columns)), shape=(n, owners + patterns + owners * patterns))

    @cached_property
    def _pattern_pairs(self) -> np.ndarray:
        """Patterns x (dense x dense) products: the dense Gram is (weights summed by pattern) times these."""
        return (self.patterns[:, :, None] * self.patterns[:, None, :]).reshape(len(self.patterns), -1)

    def factor(self, weights: np.ndarray, ridge: np.ndarray | float = 0.0) -> Factor:
        """Factor ``X' diag(w) X + diag(ridge)`` for every gene (rows of ``weights``).

        ``ridge`` is a scalar, one value per column, or one row per gene.
        """
        n_genes, n_dense, n_patterns, n_owners = len(weights), len(self.dense), len(self.patterns), len(self.sparse)
        ridge = np.broadcast_to(np.asarray(ridge, dtype=float), (n_genes, self.n_columns))
        sums = weights @ self._aggregation
        by_pattern = sums[:, n_owners:n_owners + n_patterns]
        gram_dense = (by_pattern @ self._pattern_pairs).reshape(n_genes, n_dense, n_dense)
        positions = np.arange(n_dense)
        gram_dense[:, positions, positions] += ridge[:, self.dense]
        if n_owners == 0:
            return Factor(self, np.empty((n_genes, 0)), np.empty((n_genes, 0, n_dense)), gram_dense)
        diagonal = sums[:, :n_owners] + ridge[:, self.sparse]
        by_cell = sums[:, n_owners + n_patterns:].reshape(n_genes, n_owners, n_patterns)
        cross = by_cell @ self.patterns  # genes x sparse x dense
        schur = gram_dense - np.matmul(cross.transpose(0, 2, 1), cross / diagonal[:, :, None])
        return Factor(self, diagonal, cross, schur)


@dataclass(frozen=True)
class Factor:
    """``A = X' W X + ridge`` of every gene in block form (see :class:`DesignBlocks`)."""

    blocks: DesignBlocks
    diagonal: np.ndarray  # genes x sparse
    cross: np.ndarray  # genes x sparse x dense
    schur: np.ndarray  # genes x dense x dense

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``A^-1 r`` for each gene's right-hand side ``r`` (genes x columns)."""
        blocks = self.blocks
        rhs_sparse, rhs_dense = rhs[:, blocks.sparse], rhs[:, blocks.dense]
        reduced = rhs_dense - np.einsum("gjk,gj->gk", self.cross, rhs_sparse / self.diagonal)
        dense = np.linalg.solve(self.schur, reduced[:, :, None])[:, :, 0]
        solution = np.empty_like(rhs, dtype=float)
        solution[:, blocks.dense] = dense
        if len(blocks.sparse):
            solution[:, blocks.sparse] = (rhs_sparse - np.einsum("gjk,gk->gj", self.cross, dense)) / self.diagonal
        return solution

    def log_determinant(self) -> np.ndarray:
        """``log det A`` per gene."""
        return np.log(self.diagonal).sum(axis=1) + np.linalg.slogdet(self.schur)[1]

    def leverages(self) -> np.ndarray:
        """``x_i' A^-1 x_i`` for every gene and sample (genes x samples).

        For a sample with sparse value ``v`` in owner ``j`` and dense row ``p`` (a pattern), with
        ``a = v / D_j``: ``v^2 / D_j + p' S^-1 p - 2 a B_j' S^-1 p + a^2 B_j' S^-1 B_j``; the three forms are
        computed per gene for patterns and owners, then gathered per sample.
        """
        blocks = self.blocks
        inverse_patterns = np.linalg.solve(self.schur, np.broadcast_to(blocks.patterns.T, (len(self.schur),
                                                                                           *blocks.patterns.T.shape)))
        pattern_forms = np.einsum("mk,gkm->gm", blocks.patterns, inverse_patterns)
        forms = pattern_forms[:, blocks.pattern]
        if len(blocks.sparse) == 0:
            return forms
        owned = blocks.owner >= 0
        owner = np.where(owned, blocks.owner, 0)
        scale = np.where(owned, blocks.value, 0.0)[None, :] / self.diagonal[:, owner]  # a = v / D_j
        mixed = self.cross @ inverse_patterns  # genes x owners x patterns: B_j' S^-1 p
        owner_forms = np.einsum("gjk,gjk->gj", self.cross,
                                np.linalg.solve(self.schur, self.cross.transpose(0, 2, 1)).transpose(0, 2, 1))
        n_patterns = len(blocks.patterns)
        mixed_per_sample = mixed.reshape(len(mixed), -1)[:, owner * n_patterns + blocks.pattern]
        return (forms + scale * (blocks.value[None, :] - 2 * mixed_per_sample + scale * owner_forms[:, owner])
                * owned)


def nb_log_likelihood_terms(counts: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """DESeq2's negative-binomial log-likelihood of each gene in alpha, up to terms free of alpha.

    ``sum lgamma(y + 1/a) - lgamma(1/a) - y log(mu + 1/a) - (1/a) log(1 + mu a)`` (``log_posterior`` in
    DESeq2's C++), for genes in rows and ``alpha`` per gene.
    """
    inverse = 1.0 / alpha[:, None]
    return (gammaln(counts + inverse) - gammaln(inverse) - counts * np.log(mu + inverse)
            - inverse * np.log1p(mu * alpha[:, None])).sum(axis=1)


@dataclass(frozen=True)
class Deviance:
    """``-2 x`` pydeseq2's ``nb_nll`` of each gene (the deviance its IRLS follows), for fixed counts and alpha.

    The terms free of mu are summed once; each call adds the terms in mu.
    """

    counts: np.ndarray
    alpha: np.ndarray

    @cached_property
    def _constant(self) -> np.ndarray:
        inverse = 1.0 / self.alpha[:, None]
        return (self.counts.shape[1] * (1.0 / self.alpha) * np.log(self.alpha)
                - (gammaln(self.counts + inverse) - gammaln(self.counts + 1) - gammaln(inverse)).sum(axis=1))

    def __call__(self, mu: np.ndarray, rows: np.ndarray) -> np.ndarray:
        counts, inverse = self.counts[rows], 1.0 / self.alpha[rows, None]
        varying = ((counts + inverse) * np.log(inverse + mu) - counts * np.log(mu)).sum(axis=1)
        return -2.0 * (self._constant[rows] + varying)


@dataclass
class Posterior:
    """The Cox-Reid adjusted log-posterior of log(alpha) of a block of genes (DESeq2's ``log_posterior``)."""

    counts: np.ndarray
    mu: np.ndarray
    blocks: DesignBlocks
    prior_mean: np.ndarray | None = None  # log trend per gene
    prior_variance: float = 1.0

    def subset(self, genes: np.ndarray) -> Posterior:
        return Posterior(self.counts[genes], self.mu[genes], self.blocks,
                         None if self.prior_mean is None else self.prior_mean[genes], self.prior_variance)

    def value(self, log_alpha: np.ndarray, *, gradient: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Log-posterior (and its derivative in log(alpha)) at one log(alpha) per gene."""
        alpha = np.exp(log_alpha)
        weights = 1.0 / (1.0 / self.mu + alpha[:, None])
        factor = self.blocks.factor(weights)
        value = nb_log_likelihood_terms(self.counts, self.mu, alpha) - 0.5 * factor.log_determinant()
        if self.prior_mean is not None:
            value = value - 0.5 * (log_alpha - self.prior_mean) ** 2 / self.prior_variance
        if not gradient:
            return value, None
        inverse = 1.0 / alpha[:, None]
        mu_alpha = self.mu * alpha[:, None]
        likelihood = inverse[:, 0] ** 2 * (digamma(inverse) + np.log1p(mu_alpha) - mu_alpha / (1.0 + mu_alpha)
                                           - digamma(self.counts + inverse)
                                           + self.counts / (self.mu + inverse)).sum(axis=1)
        # d log det(X'WX) / d alpha = trace(A^-1 X' (dW/d alpha) X) = sum_i (-w_i^2) x_i' A^-1 x_i
        cox_reid = -0.5 * (-(weights ** 2) * factor.leverages()).sum(axis=1)
        derivative = (likelihood + cox_reid) * alpha
        if self.prior_mean is not None:
            derivative = derivative - (log_alpha - self.prior_mean) / self.prior_variance
        return value, derivative


@dataclass(frozen=True)
class LineSearch:
    """Outcome of DESeq2's dispersion line search for each gene."""

    log_alpha: np.ndarray
    iterations: np.ndarray
    initial: np.ndarray  # log-posterior at the start
    last: np.ndarray  # log-posterior when the search stopped


def line_search(posterior: Posterior, log_alpha: np.ndarray, *, min_log_alpha: float) -> LineSearch:
    """DESeq2's ``fitDisp``: gradient ascent on log(alpha) with the Armijo rule, every gene with its own step.

    Each gene keeps its own step size, accepted-step count, iteration count and stopping point, exactly as the
    per-gene C++ loop: a proposal outside [-30, 10] is cut at the bound; an accepted step that raises the
    log-posterior by less than the tolerance ends the search, as does a log(alpha) below ``min_log_alpha``
    (then the last log-posterior is not updated, as in DESeq2); every accepted step grows the step by 10 %
    up to 1, and every fifth halves it; a rejected proposal halves it.
    """
    lower, upper = LOG_ALPHA_BOUNDS
    position = np.array(log_alpha, dtype=float)
    current, gradient = posterior.value(position, gradient=True)
    initial = current.copy()
    step = np.full(len(position), KAPPA_0)
    accepted = np.zeros(len(position), dtype=int)
    iterations = np.zeros(len(position), dtype=int)
    active = np.arange(len(position))
    for _ in range(MAX_LINE_SEARCH):
        if len(active) == 0:
            break
        iterations[active] += 1
        a, g, kappa = position[active], gradient[active], step[active]
        proposal = a + kappa * g
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa = np.where(proposal < lower, (lower - a) / g, kappa)
            kappa = np.where(proposal > upper, (upper - a) / g, kappa)
        moved = a + kappa * g
        candidate, _ = posterior.subset(active).value(moved)
        accept = -candidate <= -current[active] - kappa * ARMIJO_EPSILON * g ** 2
        rejected = active[~accept]
        step[rejected] = kappa[~accept] / 2.0
        taken = active[accept]
        position[taken] = moved[accept]
        accepted[taken] += 1
        change = candidate[accept] - current[taken]
        converged = change < DISPERSION_TOLERANCE
        too_small = ~converged & (position[taken] < min_log_alpha)
        keep = ~converged & ~too_small
        current[taken[converged]] = candidate[accept][converged]
        going = taken[keep]
        current[going] = candidate[accept][keep]
        if len(going):
            _, gradient[going] = posterior.subset(going).value(position[going], gradient=True)
            new_step = np.minimum(kappa[accept][keep] * 1.1, KAPPA_0)
            step[going] = np.where(accepted[going] % 5 == 0, new_step / 2.0, new_step)
        active = np.concatenate([rejected, going])
        active.sort()
    return LineSearch(position, iterations, initial, current)


def grid_search(posterior: Posterior, *, min_disp: float, max_disp: float, points: int = GRID_POINTS
                ) -> np.ndarray:
    """DESeq2's ``fitDispGrid``: best log(alpha) on a coarse grid, then on a fine grid around it."""
    n_genes = len(posterior.counts)
    grid = np.linspace(np.log(min_disp), np.log(max_disp), points)

    def best(candidates: np.ndarray) -> np.ndarray:
        values = np.column_stack([posterior.value(candidates[:, k])[0] for k in range(candidates.shape[1])])
        return candidates[np.arange(n_genes), np.argmax(values, axis=1)]

    coarse = best(np.broadcast_to(grid, (n_genes, points)))
    delta = grid[1] - grid[0]
    fine = np.linspace(coarse - delta, coarse + delta, points, axis=1)
    return best(fine)


@dataclass(frozen=True)
class IrlsFit:
    """Coefficients (natural log scale), fitted means, hat diagonals and convergence of each gene."""

    beta: np.ndarray  # genes x columns
    mu: np.ndarray  # genes x samples, size factor x exp(X beta), not clamped
    hat: np.ndarray  # genes x samples
    converged: np.ndarray


def irls(counts: np.ndarray, size_factors: np.ndarray, blocks: DesignBlocks, dispersions: np.ndarray, *,
         min_mu: float, beta_tol: float) -> IrlsFit:
    """pydeseq2's ``irls_solver`` for every gene at once.

    Starts from the least-squares fit of ``log(counts / size factors + 0.1)`` (one QR for all genes), iterates
    the ridge-penalised normal equations until the deviance changes by less than ``beta_tol`` relative, each
    gene on its own; genes whose coefficients leave [-30, 30] or that reach 250 iterations are handed to
    pydeseq2's own solver, which switches to L-BFGS-B as DESeq2 switches to ``optim``.
    """
    from pydeseq2.utils import irls_solver

    design = blocks.matrix
    n_genes = len(counts)
    q, r = np.linalg.qr(design)
    beta = np.linalg.solve(r, q.T @ np.log(counts / size_factors + 0.1).T).T
    mu = np.maximum(size_factors * np.exp(beta @ design.T), min_mu)
    deviance = np.full(n_genes, 1000.0)
    deviance_of = Deviance(counts, dispersions)
    ratio = np.ones(n_genes)
    active = np.arange(n_genes)
    fallback = np.zeros(n_genes, dtype=bool)
    for iteration in range(1, MAX_IRLS + 1):
        active = active[ratio[active] > beta_tol]
        if len(active) == 0:
            break
        m, y, disp = mu[active], counts[active], dispersions[active]
        weights = m / (1.0 + m * disp[:, None])
        z = np.log(m / size_factors) + (y - m) / m
        new_beta = blocks.factor(weights, RIDGE).solve((weights * z) @ design)
        escaped = (np.abs(new_beta) > MAX_BETA).any(axis=1) | (iteration >= MAX_IRLS)
        fallback[active[escaped]] = True
        ratio[active[escaped]] = 0.0  # leaves the loop; solved below
        going = active[~escaped]
        beta[going] = new_beta[~escaped]
        mu[going] = np.maximum(size_factors * np.exp(beta[going] @ design.T), min_mu)
        old = deviance[going]
        deviance[going] = deviance_of(mu[going], going)
        ratio[going] = np.abs(deviance[going] - old) / (np.abs(deviance[going]) + 0.1)
    converged = ~fallback
    weights = mu / (1.0 + mu * dispersions[:, None])
    hat = weights * blocks.factor(weights, RIDGE).leverages()
    for gene in np.flatnonzero(fallback):
        beta[gene], _, hat[gene], converged[gene] = irls_solver(
            counts[gene], size_factors, design, dispersions[gene], min_mu=min_mu, beta_tol=beta_tol)
    return IrlsFit(beta, size_factors * np.exp(beta @ design.T), hat, converged)
