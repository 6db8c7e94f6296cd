"""Differential expression: filter, fit DESeq2's model of a design, and test its contrasts and its LRT.

The fit is :mod:`trialrna.deseq2` (DESeq2's algorithm on all genes at once); :mod:`trialrna.pydeseq2_route`
keeps pydeseq2 with trialrna's R-matching changes as the reference the tests compare it with.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import chi2

from trialrna import deseq2
from trialrna.contrasts import Contrast, DesignFit
from trialrna.dispersion import dispersion_prior_variance_by_simulation  # noqa: F401  (part of this API)
from trialrna.errors import InputError
from trialrna.layout import DE_FIGURE_KINDS
from trialrna.stagewise import add_padj_stagewise
from trialrna.tables import write_result_table
from trialrna.vocabulary import parse_contrast

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj",
                  "log2FoldChange_shrunk"]


def filter_expressed(counts: pd.DataFrame, *, min_count: int, min_samples: int, context: str) -> pd.DataFrame:
    """Keep genes with at least ``min_count`` reads in at least ``min_samples`` samples.

    Raises
    ------
    InputError
        When no gene passes, naming the thresholds to relax.
    """
    kept = counts[(counts >= min_count).sum(axis=1) >= min_samples]
    if kept.empty:
        raise InputError(f"{context}: no gene has >= {min_count} counts in >= {min_samples} samples; "
                         "lower de.min_count or de.min_samples in the config, or check the count table")
    log.info("%s: %d of %d genes pass the expression filter (>= %d counts in >= %d samples)", context, len(kept),
             len(counts), min_count, min_samples)
    return kept


def fit_design(counts: pd.DataFrame, design: pd.DataFrame, *, n_cpus: int) -> deseq2.DeseqFit:
    """Fit DESeq2's model (size factors, dispersions, LFCs, Cook's refit) for one design.

    Parameters
    ----------
    counts
        Raw counts, genes x samples; the design's samples are taken.
    design
        Samples x columns design matrix (full rank).
    n_cpus
        Threads (the rule's threads).
    """
    return deseq2.fit(counts, design, n_cpus=n_cpus)


def _table(fit: deseq2.DeseqFit, genes: pd.DataFrame, test: dict[str, np.ndarray], *, alpha: float,
           shrunk: np.ndarray | None = None) -> pd.DataFrame:
    pvalue, padj = fit.results(test["stat"], test["pvalue"], alpha=alpha)
    ids = pd.Series(fit.genes, index=fit.genes)
    return pd.DataFrame({
        "gene_id": fit.genes, "symbol": ids.map(genes.set_index("gene_id")["symbol"]).fillna(ids).to_numpy(),
        "baseMean": fit.base_mean,
        "log2FoldChange": test["estimate"] / np.log(2), "lfcSE": test["se"] / np.log(2), "stat": test["stat"],
        "pvalue": pvalue, "padj": padj,
        "log2FoldChange_shrunk": np.nan if shrunk is None else shrunk / np.log(2),
    })[RESULT_COLUMNS]


def wald_test_contrasts(fit: deseq2.DeseqFit, contrasts: Sequence[Contrast], *, genes: pd.DataFrame, alpha: float,
                        shrink: bool = True, n_cpus: int | None = None) -> dict[str, pd.DataFrame]:
    """Wald tests of every contrast from one fit, with DESeq2's Cook's and independent filtering.

    ``log2FoldChange_shrunk`` is apeGLM's shrunken estimate of the contrast; a contrast that is not one design
    coefficient (the interaction) is shrunk in the reparametrised design where it is one, as DESeq2 users do.
    """
    columns = list(fit.design.columns)
    vectors = [contrast.vector(columns) for contrast in contrasts]
    tables = {}
    for contrast, vector, test in zip(contrasts, vectors, fit.wald(vectors), strict=True):
        shrunk = fit.shrink(vector, estimate=test["estimate"], se=test["se"]) if shrink else None
        tables[contrast.name] = _table(fit, genes, test, alpha=alpha, shrunk=shrunk)
    return tables


def likelihood_ratio_test(fit: deseq2.DeseqFit, reduced: pd.DataFrame, *, genes: pd.DataFrame, alpha: float,
                          report: Contrast | None = None, n_cpus: int | None = None) -> pd.DataFrame:
    """DESeq2's likelihood-ratio test of the fitted (full) design against ``reduced``.

    Both models are fitted with the final dispersions (on Cook's-replaced counts where the fit refitted); the
    statistic is twice the difference of negative-binomial log-likelihoods against chi-square with the
    difference in columns as degrees of freedom, then Cook's and independent filtering as in ``results()``.
    ``log2FoldChange``/``lfcSE`` are those of ``report`` (Wald), if given, else of the last coefficient.
    ``n_cpus`` overrides the fit's threads.
    """
    fit.n_cpus = n_cpus or fit.n_cpus
    full = fit.design
    if full.shape[1] - reduced.shape[1] <= 0:
        raise ValueError("the reduced design must have fewer columns than the full design")
    vector = report.vector(list(full.columns)) if report else np.eye(full.shape[1])[-1]
    statistic, degrees = fit.likelihood_ratio(reduced)
    test = fit.wald([vector])[0]
    test["stat"], test["pvalue"] = statistic, chi2.sf(statistic, degrees)
    return _table(fit, genes, test, alpha=alpha)


class FitResults(dict):
    """The result tables of one design fit, by name (a ``dict``), and the fitted model as ``model``."""

    def __init__(self, tables: dict[str, pd.DataFrame], model: deseq2.DeseqFit) -> None:
        super().__init__(tables)
        self.model = model


def run_fit(counts: pd.DataFrame, fit: DesignFit, *, genes: pd.DataFrame, alpha: float, n_cpus: int,
            min_count: int, min_samples: int) -> FitResults:
    """Filter, fit one design and test all of its contrasts, then its LRT if it has one (in that order)."""
    expressed = filter_expressed(counts[fit.design.index], min_count=min_count, min_samples=min_samples,
                                 context=f"design {fit.name}")
    model = fit_design(expressed, fit.design, n_cpus=n_cpus)
    tables = wald_test_contrasts(model, fit.contrasts, genes=genes, alpha=alpha)
    if fit.reduced is not None:
        last_interaction = next((c for c in reversed(fit.contrasts) if c.name.startswith("interaction_")), None)
        lrt = likelihood_ratio_test(model, fit.reduced, genes=genes, alpha=alpha, report=last_interaction)
        if last_interaction is not None:  # the LRT reports that contrast's fold change, shrunken as well
            lrt["log2FoldChange_shrunk"] = tables[last_interaction.name]["log2FoldChange_shrunk"].to_numpy()
        tables[fit.lrt_name] = lrt
        interactions = [c.name for c in fit.contrasts if parse_contrast(c.name)[0] == "interaction"]
        add_padj_stagewise(tables, screen=fit.lrt_name, confirm=interactions, alpha=alpha)
    return FitResults(tables, model)


def write_results(results: Mapping[str, pd.DataFrame], *, tables: Sequence[str | Path],
                  figures: Sequence[str | Path], scope: str, alpha: float, lfc_threshold: float) -> None:
    """Each result table and its figures (MA, volcano, p-values, in :data:`trialrna.layout.DE_FIGURE_KINDS`
    order) to the given paths, in the results' order."""
    from trialrna.de_plots import plot_contrast

    figure_paths = iter(figures)
    for (name, table), path in zip(results.items(), tables, strict=True):
        write_result_table(table, path)
        plot_contrast(table, **{kind: next(figure_paths) for kind in DE_FIGURE_KINDS},
                      title=f"{scope}{name}".replace("/", ": "), alpha=alpha, lfc_threshold=lfc_threshold)
