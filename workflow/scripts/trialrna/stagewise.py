"""Stage-wise multiple testing across visits: stageR's screen-then-confirm (Van den Berge et al. 2017).

The screen asks, per gene, whether the trajectories of responders and non-responders differ at all (DESeq2's
likelihood-ratio test, BH-adjusted); only genes that pass it are confirmed contrast by contrast (the
``interaction_*`` Wald tests). The overall FDR over genes is controlled at ``alpha`` and, within a screened gene,
the family-wise error over its contrasts. Written by hand after ``stageR:::.stageWiseTest(method = "holm")``
(stageR is not on PyPI or in Debian); ``tests/test_stagewise.py`` checks it on an example worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def stagewise_adjust(screen_padj: pd.Series, confirmation: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    """stageR's ``stageWiseAdjustment(method="holm")`` on an already FDR-adjusted screen.

    Parameters
    ----------
    screen_padj
        Gene -> BH-adjusted p-value of the screening test, missing for genes the screen did not test (DESeq2's
        independent filtering): the number of tested genes is the BH denominator, as in the screen itself.
    confirmation
        Genes x hypotheses p-values of the individual tests.
    alpha
        The overall FDR (the level the stage-wise p-values are valid for; rerun for another level).

    Returns
    -------
    Genes x hypotheses stage-wise adjusted p-values, compared with ``alpha``; missing for genes that did not pass
    the screen (padj < ``alpha``). Within a screened gene, Holm's step-down knowing that one hypothesis is false
    (factors n-1, n-1, n-2, ..., 1), then scaled by tested genes / genes with screen padj <= ``alpha``.
    """
    tested = screen_padj.dropna()
    passed = tested.index[tested < alpha]
    adjusted = pd.DataFrame(np.nan, index=confirmation.index, columns=confirmation.columns)
    rows = confirmation.loc[confirmation.index.intersection(passed)]
    if rows.empty:
        return adjusted
    n = confirmation.shape[1]
    factors = np.array([n - 1, *range(n - 1, 0, -1)], dtype=float)[:n]
    values = rows.to_numpy(float)
    order = np.argsort(values, axis=1, kind="stable")
    holm = np.maximum.accumulate(np.minimum(np.take_along_axis(values, order, axis=1) * factors, 1), axis=1)
    back = np.empty_like(holm)
    np.put_along_axis(back, order, holm, axis=1)
    adjusted.loc[rows.index] = np.minimum(back * len(tested) / int((tested <= alpha).sum()), 1)
    return adjusted


def add_padj_stagewise(tables: dict[str, pd.DataFrame], *, screen: str, confirm: list[str], alpha: float) -> None:
    """Add ``padj_stagewise`` to the ``confirm`` tables (in place), screened by the ``screen`` table's padj."""
    if not confirm:
        return
    screen_padj = tables[screen].set_index("gene_id")["padj"]
    pvalues = pd.DataFrame({name: tables[name].set_index("gene_id")["pvalue"] for name in confirm})
    adjusted = stagewise_adjust(screen_padj, pvalues, alpha=alpha)
    for name in confirm:
        tables[name]["padj_stagewise"] = tables[name]["gene_id"].map(adjusted[name]).to_numpy()
