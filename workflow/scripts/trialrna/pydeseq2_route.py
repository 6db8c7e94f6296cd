"""The pydeseq2 route: pydeseq2 0.5, made to follow R DESeq2 where it departs from it (the reference engine).

The workflow fits with the vectorised engine (:mod:`trialrna.deseq2`); this route is kept as its reference: the
tests compare both on the same data, and both against R DESeq2.

- :class:`TrialDeseqDataSet` estimates the dispersion prior variance by DESeq2's Monte Carlo match when the
  residual degrees of freedom are 3 or fewer (pydeseq2 falls back to the 0.25 floor there).
- :class:`TrialInference` estimates gene-wise and MAP dispersions by DESeq2's line search
  (:mod:`trialrna.dispersion`). pydeseq2 0.5.4 uses L-BFGS-B, which stops elsewhere on high-count genes, and
  when it fails on a MAP fit its fallback grid drops the prior, returning the unshrunken estimate.
- :class:`TrialDeseqDataSet` also fits the dispersion trend as DESeq2's ``parametricDispersionFit``.
- :func:`likelihood_ratio_test` adds DESeq2's ``test="LRT"``, built on pydeseq2's size factors, dispersions,
  IRLS, Cook's filtering and independent filtering.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.stats import chi2, nbinom

from trialrna.contrasts import Contrast
from trialrna.dispersion import (
    deseq2_genewise_dispersions,
    deseq2_map_dispersions,
    dispersion_prior_variance_by_simulation,
    parametric_dispersion_trend,
)

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj",
                  "log2FoldChange_shrunk"]


class TrialInference(DefaultInference):
    """pydeseq2's inference with DESeq2's dispersion line search for the gene-wise and MAP estimates.

    pydeseq2 calls ``alpha_mle`` first without the prior (gene-wise) and then with it (MAP) on the same genes,
    also inside its Cook's refit; the gene-wise estimates are kept between the two calls because DESeq2 starts
    the MAP search from them.
    """

    _genewise: np.ndarray | None = None

    def alpha_mle(self, counts: np.ndarray, design_matrix: np.ndarray, mu: np.ndarray, alpha_hat: np.ndarray,
                  min_disp: float, max_disp: float, prior_disp_var: float | None = None, cr_reg: bool = True,
                  prior_reg: bool = False, optimizer: str = "L-BFGS-B") -> tuple[np.ndarray, np.ndarray]:
        """Gene-wise estimates (``prior_reg=False``) or MAP estimates around the trend ``alpha_hat``."""
        if not prior_reg:
            dispersions, converged = deseq2_genewise_dispersions(counts, mu, design_matrix, alpha_hat,
                                                                 min_disp=min_disp, max_disp=max_disp,
                                                                 n_jobs=self.n_cpus)
            self._genewise = np.clip(dispersions, min_disp, max_disp)
            return dispersions, converged
        genewise = self._genewise if self._genewise is not None and len(self._genewise) == len(alpha_hat) \
            else alpha_hat
        return deseq2_map_dispersions(counts, mu, design_matrix, genewise=genewise, trend=alpha_hat,
                                      prior_variance=float(prior_disp_var), min_disp=min_disp, max_disp=max_disp,
                                      n_jobs=self.n_cpus)


class TrialDeseqDataSet(DeseqDataSet):
    """A :class:`pydeseq2.dds.DeseqDataSet` with DESeq2's prior variance for few residual degrees of freedom."""

    #: Seed of the Monte Carlo prior-variance estimate.
    prior_seed: int = 2

    def _fit_parametric_dispersion_trend(self, vst: bool = False) -> None:
        """DESeq2's trend: genes with dispersion > 100 * min_disp, iterated Gamma GLM (see dispersion module)."""
        name = "vst_genewise_dispersions" if vst else "genewise_dispersions"
        if name not in self.var:
            self.fit_genewise_dispersions(vst)
        var = self.var.loc[self.non_zero_genes]
        used = var[name] > 100 * self.min_disp
        coefficients = parametric_dispersion_trend(var.loc[used, "_normed_means"].to_numpy(),
                                                   var.loc[used, name].to_numpy())
        if coefficients is None:
            log.warning("the parametric dispersion trend did not fit (a coefficient <= 0); pydeseq2's fallback "
                        "is used (DESeq2 would switch to a local fit)")
            super()._fit_parametric_dispersion_trend(vst)
            return
        coefficients = pd.Series(coefficients, index=["a0", "a1"])
        if vst:
            self.uns["vst_trend_coeffs"] = coefficients
            return
        self.uns["trend_coeffs"] = coefficients
        self.uns["disp_function_type"] = "parametric"
        self.var["fitted_dispersions"] = np.full(self.n_vars, np.nan)
        self.var.loc[self.var["non_zero"], "fitted_dispersions"] = self.disp_function(
            self.var.loc[self.var["non_zero"], "_normed_means"])

    def fit_dispersion_prior(self) -> None:
        """Fit the dispersion prior; with residual df <= 3 use DESeq2's simulation instead of MAD - trigamma."""
        df = self.n_obs - self.obsm["design_matrix"].shape[1]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="As the residual degrees of freedom is less than 3")
            super().fit_dispersion_prior()
        if 0 < df <= 3:
            var = self[:, self.non_zero_genes].var
            above = var["genewise_dispersions"] >= 100 * self.min_disp
            residuals = np.log(var.loc[above, "genewise_dispersions"]) - np.log(var.loc[above, "fitted_dispersions"])
            estimate = dispersion_prior_variance_by_simulation(residuals.to_numpy(), df=df, seed=self.prior_seed)
            self.uns["prior_disp_var"] = np.asarray(max(estimate, 0.25))
            log.info("residual df %d <= 3: dispersion prior variance %.3f by simulation (DESeq2's method)", df,
                     self.uns["prior_disp_var"])


def fit_design(counts: pd.DataFrame, design: pd.DataFrame, *, n_cpus: int) -> TrialDeseqDataSet:
    """The engine's :func:`trialrna.de.fit_design` on pydeseq2 (``n_cpus`` processes)."""
    dds = TrialDeseqDataSet(counts=counts[design.index].T, metadata=pd.DataFrame(index=design.index),
                            design=design, inference=TrialInference(n_cpus=n_cpus), quiet=True)
    dds.deseq2()
    return dds


def _table(stats: DeseqStats, genes: pd.DataFrame) -> pd.DataFrame:
    table = stats.results_df.copy()
    table.index.name = "gene_id"
    table = table.reset_index()
    table.insert(1, "symbol", table["gene_id"].map(genes.set_index("gene_id")["symbol"]).fillna(table["gene_id"]))
    return table


def wald_test_contrasts(dds: DeseqDataSet, contrasts: Sequence[Contrast], *, genes: pd.DataFrame, alpha: float,
                   n_cpus: int, shrink: bool = True) -> dict[str, pd.DataFrame]:
    """Wald tests of every contrast from one fit, with DESeq2's Cook's and independent filtering.

    Where a contrast is a single design coefficient, ``log2FoldChange_shrunk`` holds pydeseq2's apeGLM-style
    shrunken estimate; otherwise it is missing (pydeseq2 shrinks coefficients only).
    """
    columns = list(dds.obsm["design_matrix"].columns)
    tables = {}
    for contrast in contrasts:
        stats = DeseqStats(dds, contrast=contrast.vector(columns), alpha=alpha, quiet=True, n_cpus=n_cpus)
        stats.summary()
        table = _table(stats, genes)
        table["log2FoldChange_shrunk"] = np.nan
        if shrink and contrast.coefficient:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*had NaN/infinite values during LFC shrinkage")
                stats.lfc_shrink(coeff=contrast.coefficient)
            table["log2FoldChange_shrunk"] = (stats.LFC[contrast.coefficient] / np.log(2)).to_numpy()
        tables[contrast.name] = table[RESULT_COLUMNS]
    return tables


def _counts_after_cooks_replacement(dds: DeseqDataSet) -> np.ndarray:
    counts = np.asarray(dds.X, dtype=float).copy()
    if "refitted" in dds.var and dds.var["refitted"].any():
        refitted = dds.var_names[dds.var["refitted"].to_numpy()]
        replaced = dds.counts_to_refit[:, refitted]
        counts[:, dds.var_names.get_indexer(refitted)] = np.asarray(replaced.X, dtype=float)
    return counts


def likelihood_ratio_test(dds: DeseqDataSet, reduced: pd.DataFrame, *, genes: pd.DataFrame, alpha: float,
                          n_cpus: int, report: Contrast | None = None) -> pd.DataFrame:
    """DESeq2's likelihood-ratio test of the fitted (full) design against ``reduced``.

    Both models are refitted by pydeseq2's IRLS with the final dispersions (on Cook's-replaced counts where
    pydeseq2 refitted), the statistic is twice the difference of negative-binomial log-likelihoods, compared to
    chi-square with the difference in columns as degrees of freedom. Cook's and independent filtering then
    follow DESeq2's ``results()``. ``log2FoldChange``/``lfcSE`` are those of ``report`` (Wald), if given.
    """
    full = dds.obsm["design_matrix"]
    degrees = full.shape[1] - reduced.shape[1]
    if degrees <= 0:
        raise ValueError("the reduced design must have fewer columns than the full design")
    counts = _counts_after_cooks_replacement(dds)[:, dds.non_zero_idx]
    dispersion = dds.var["dispersions"].to_numpy()[dds.non_zero_idx]
    size_factors = dds.obs["size_factors"].to_numpy()
    log_likelihood = []
    for design in (full, reduced.loc[full.index]):
        _, mu, _, _ = dds.inference.irls(counts=counts, size_factors=size_factors, design_matrix=design.to_numpy(),
                                         disp=dispersion, min_mu=dds.min_mu, beta_tol=dds.beta_tol)
        size = 1.0 / dispersion
        log_likelihood.append(nbinom.logpmf(counts, size[None, :], size[None, :] / (size[None, :] + mu)).sum(0))
    statistic = 2 * (log_likelihood[0] - log_likelihood[1])
    weights = report.vector(list(full.columns)) if report else np.eye(full.shape[1])[-1]
    stats = DeseqStats(dds, contrast=weights, alpha=alpha, quiet=True, n_cpus=n_cpus)
    stats.run_wald_test()
    stats.statistics = pd.Series(np.nan, index=dds.var_names)
    stats.p_values = pd.Series(np.nan, index=dds.var_names)
    stats.statistics.iloc[dds.non_zero_idx] = statistic
    stats.p_values.iloc[dds.non_zero_idx] = chi2.sf(statistic, degrees)
    stats.summary()
    table = _table(stats, genes)
    table["log2FoldChange_shrunk"] = np.nan
    return table[RESULT_COLUMNS]
