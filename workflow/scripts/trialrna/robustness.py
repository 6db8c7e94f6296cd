"""Robustness of the findings: the other DE route on the same cohort, the blood composition and DE adjusted for it,
and which hub genes survive each.

A reviewer's three questions about a longitudinal blood signature are answered side by side: does a mixed model
with a random patient intercept (the accepted method for repeated measures) find what DESeq2's nested design finds;
is the visit effect only a shift in neutrophil share; and do the hub genes rest on either. The stage runs on the
whole cohort; every table keeps the DE route's columns so that the report reads them as it reads ``results/de``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.cell_signature import read_cell_signature
from trialrna.composition import (
    ChangeMethod,
    cell_composition,
    composition_change,
    composition_sensitivity,
    plot_composition,
)
from trialrna.contrasts import ContrastPlan
from trialrna.errors import InputError
from trialrna.layout import RESULTS, Layout
from trialrna.plots import FLAT, HIGHLIGHT, placeholder, plt, save
from trialrna.routes import route_tables
from trialrna.tables import read_result_table, read_table, write_result_table, write_table
from trialrna.vocabulary import LRT_NAME, Route, parse_contrast, significant

log = logging.getLogger(__name__)


def _aligned(first: pd.DataFrame, second: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two result tables of one contrast, keyed by gene id, restricted to the genes both tested, in one order."""
    first, second = (table.dropna(subset=["stat"]).set_index("gene_id") for table in (first, second))
    common = first.index.intersection(second.index)
    return first.loc[common], second.loc[common]


def route_agreement(primary: Mapping[str, pd.DataFrame], other: Mapping[str, pd.DataFrame], *, alpha: float,
                    lfc_threshold: float) -> pd.DataFrame:
    """Per contrast tested by both routes: how their statistics and significant genes agree.

    Returns
    -------
    ``contrast, n_genes`` (tested by both), ``spearman_stat`` (Wald or t statistics), ``pearson_log2FoldChange``,
    ``n_significant_primary``, ``n_significant_other``, ``n_significant_both``, ``jaccard`` (of the significant
    sets, a gene up in one route and down in the other counting as two different findings; NaN when neither
    route finds a gene).
    """
    rows = []
    for name in [name for name in primary if name in other and name != LRT_NAME]:
        first, second = _aligned(primary[name], other[name])
        common = first.index
        hits = []
        for table in (first, second):
            up, down = significant(table, alpha=alpha, lfc_threshold=lfc_threshold)
            hits.append({(gene, "up") for gene in table.index[up]} | {(gene, "down") for gene in table.index[down]})
        union, both = hits[0] | hits[1], hits[0] & hits[1]
        rows.append({
            "contrast": name, "n_genes": len(common),
            "spearman_stat": first["stat"].corr(second["stat"], method="spearman") if len(common) > 2 else np.nan,
            "pearson_log2FoldChange": (first["log2FoldChange"].corr(second["log2FoldChange"]) if len(common) > 2
                                       else np.nan),
            "n_significant_primary": len(hits[0]), "n_significant_other": len(hits[1]),
            "n_significant_both": len(both), "jaccard": len(both) / len(union) if union else np.nan,
        })
    columns = ["contrast", "n_genes", "spearman_stat", "pearson_log2FoldChange", "n_significant_primary",
               "n_significant_other", "n_significant_both", "jaccard"]
    return pd.DataFrame(rows, columns=columns)


def plot_route_agreement(primary: Mapping[str, pd.DataFrame], other: Mapping[str, pd.DataFrame],
                         names: Sequence[str], path: str | Path, *, routes: tuple[Route, Route], alpha: float,
                         lfc_threshold: float) -> None:
    """Scatter of the two routes' statistics for each contrast in ``names`` (genes significant in both in red)."""
    names = [name for name in names if name in primary and name in other]
    if not names:
        placeholder(path, title="DE route agreement", message="no contrast was tested by both routes")
        return
    ncols = min(len(names), 3)
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    for axis, name in zip(axes.flat, names, strict=False):
        first, second = _aligned(primary[name], other[name])
        both = (np.logical_or(*significant(first, alpha=alpha, lfc_threshold=lfc_threshold))
                & np.logical_or(*significant(second, alpha=alpha, lfc_threshold=lfc_threshold)))
        axis.scatter(first["stat"], second["stat"], s=3, color=FLAT, alpha=0.4, rasterized=True)
        axis.scatter(first.loc[both, "stat"], second.loc[both, "stat"], s=5, color=HIGHLIGHT)
        rho = first["stat"].corr(second["stat"], method="spearman")
        axis.set_title(f"{name}\nSpearman {rho:.3f}, both significant {int(both.sum())}", fontsize=8)
        axis.set_xlabel(f"{routes[0]} statistic", fontsize=8)
        axis.set_ylabel(f"{routes[1]} statistic", fontsize=8)
        axis.axhline(0, color="black", linewidth=0.4)
        axis.axvline(0, color="black", linewidth=0.4)
    for axis in list(axes.flat)[len(names):]:
        axis.set_visible(False)
    save(fig, path)


def hub_robustness(hubs: Mapping[str, pd.DataFrame], *, top_n: int, checks: Mapping[str, Mapping[str, pd.DataFrame]],
                   alpha: float, lfc_threshold: float) -> pd.DataFrame:
    """The top hubs of each network contrast, and whether each is still significant under every check.

    Parameters
    ----------
    hubs
        Contrast -> its ``hubs.tsv`` table (ordered by ``consensus_rank``).
    top_n
        Hubs per contrast (``network.top_hubs``).
    checks
        Check name (e.g. ``mixed``, ``composition_adjusted``) -> contrast -> result table.

    Returns
    -------
    ``contrast, gene_id, symbol, consensus_rank, padj`` (the primary route's), then per check ``padj_{check}``
    and ``significant_{check}`` (missing when the check did not test the contrast or the gene), and
    ``survives_all`` (significant under every check that tested it).
    """
    rows = []
    for contrast, table in hubs.items():
        top = table.nsmallest(top_n, "consensus_rank")
        for hub in top.itertuples():
            row = {"contrast": contrast, "gene_id": hub.gene_id, "symbol": hub.symbol,
                   "consensus_rank": hub.consensus_rank, "padj": hub.padj}
            verdicts = []
            for check, tables in checks.items():
                result = tables.get(contrast)
                found = None if result is None else result.loc[result["gene_id"] == hub.gene_id]
                if found is None or found.empty:
                    row[f"padj_{check}"], row[f"significant_{check}"] = np.nan, pd.NA
                    continue
                up, down = significant(found, alpha=alpha, lfc_threshold=lfc_threshold)
                same_sign = np.sign(found["log2FoldChange"].iloc[0]) == np.sign(hub.log2FoldChange)
                verdict = bool((up | down).iloc[0]) and bool(same_sign)
                row[f"padj_{check}"], row[f"significant_{check}"] = found["padj"].iloc[0], verdict
                verdicts.append(verdict)
            row["survives_all"] = bool(verdicts) and all(verdicts)
            rows.append(row)
    columns = ["contrast", "gene_id", "symbol", "consensus_rank", "padj",
               *[f"{kind}_{check}" for check in checks for kind in ("padj", "significant")], "survives_all"]
    return pd.DataFrame(rows, columns=columns)


#: Result tables of the layout that this stage reads, most specific pattern first.
_RESULT_KINDS = ("de_table", "adjusted_table", "route_table")


def _tables_by_name(paths: Sequence[str | Path], *, layout: Layout) -> dict[str, pd.DataFrame]:
    """Result tables by contrast name, wherever in the layout they are (DE, other route, adjusted)."""
    tables = {}
    for path in paths:
        for kind in _RESULT_KINDS:
            try:
                tables[layout.parse(kind, path)["path"]] = read_result_table(path)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{path} is not a result table of {layout.root}")
    return tables


def _hubs_by_name(paths: Sequence[str | Path], *, layout: Layout) -> dict[str, pd.DataFrame]:
    """Hub tables by contrast name (an empty table keeps its numeric columns numeric)."""
    types = {"gene_id": str, "symbol": str, "consensus_rank": float, "padj": float, "log2FoldChange": float}
    return {layout.parse("network_file", path)["path"]: read_table(path, dtype=types) for path in paths}


def write_other_route(counts: pd.DataFrame, metadata: pd.DataFrame, plan: ContrastPlan, *, route: Route,
                      primary_route: Route, primary: Sequence[str | Path], tables: Sequence[str | Path],
                      agreement: str | Path, figure: str | Path, alpha: float, lfc_threshold: float,
                      layout: Layout = RESULTS, **options) -> None:
    """Rule robustness_other_route: the other route's whole-cohort tables, its agreement with the primary route
    (:func:`route_agreement`) and the scatter of statistics of the interaction contrasts (or all, if none).

    ``options`` go to :func:`trialrna.routes.route_tables` (genes, covariates, response_rule, n_cpus, min_count,
    min_samples).
    """
    other = route_tables(counts, metadata, plan, route=route, scope="", alpha=alpha, **options)
    for table, path in zip(other.values(), tables, strict=True):
        write_result_table(table, path)
    chosen = _tables_by_name(primary, layout=layout)
    write_table(route_agreement(chosen, other, alpha=alpha, lfc_threshold=lfc_threshold), agreement)
    interactions = [name for name in other if parse_contrast(name)[0] == "interaction"]
    plot_route_agreement(chosen, other, interactions or list(other), figure, routes=(primary_route, route),
                         alpha=alpha, lfc_threshold=lfc_threshold)


def write_composition(counts: pd.DataFrame, genes: pd.DataFrame, metadata: pd.DataFrame, *,
                      signature_manifest: str | Path, composition: str | Path, change: str | Path,
                      figure: str | Path, change_method: ChangeMethod, marker_fold: float) -> None:
    """Rule robustness_composition: marker scores per sample (:func:`cell_composition`), their change over
    treatment between response groups (:func:`composition_change`) and the figure by visit and response.

    A cohort without a second visit or without response groups still gets its scores; the change table then holds
    one row saying why it is empty.
    """
    signature = read_cell_signature(Path(signature_manifest).parent)
    scores = cell_composition(counts, signature, symbols=genes.set_index("gene_id")["symbol"], fold=marker_fold)
    write_table(scores, composition)
    try:
        tested = composition_change(scores, metadata, method=change_method)
    except InputError as reason:
        log.warning("composition change not tested: %s", reason)
        tested = pd.DataFrame({"cell_type": [""], "term": [""], "note": [str(reason)]})
    write_table(tested, change)
    grouped = metadata[metadata["group"].notna()]
    if grouped.empty:
        placeholder(figure, title="blood cell composition", message="no patient has a response group")
    else:
        plot_composition(scores, metadata, figure)


def write_composition_adjusted(counts: pd.DataFrame, genes: pd.DataFrame, plan: ContrastPlan,
                               composition: pd.DataFrame, *, fit_name: str, cell_types: Sequence[str],
                               unadjusted: Sequence[str | Path], hubs: Sequence[str | Path], top_hubs: int,
                               tables: Sequence[str | Path], sensitivity: str | Path, alpha: float, n_cpus: int,
                               min_count: int, min_samples: int, layout: Layout = RESULTS) -> None:
    """Rule robustness_composition_adjusted: :func:`composition_sensitivity` of the planned fit ``fit_name``,
    following the top ``top_hubs`` hubs of each network contrast of that fit."""
    fit = plan.fit(fit_name)
    before = _tables_by_name(unadjusted, layout=layout)
    followed = {name: table.nsmallest(top_hubs, "consensus_rank")["gene_id"].tolist()
                for name, table in _hubs_by_name(hubs, layout=layout).items()}
    after, summary = composition_sensitivity(counts, fit, composition, genes=genes, alpha=alpha, n_cpus=n_cpus,
                                             min_count=min_count, min_samples=min_samples, cell_types=cell_types,
                                             hubs=followed, unadjusted=before or None)
    for name, path in zip(fit.result_names, tables, strict=True):
        write_result_table(after[name], path)
    write_table(summary, sensitivity)


def write_hub_robustness(hubs: Sequence[str | Path], *, other: Sequence[str | Path], adjusted: Sequence[str | Path],
                         other_route: Route | None, top_hubs: int, alpha: float, lfc_threshold: float,
                         output: str | Path, layout: Layout = RESULTS) -> None:
    """Rule robustness_hubs: :func:`hub_robustness` of the whole cohort's network contrasts."""
    checks = {}
    if other:
        checks[other_route] = _tables_by_name(other, layout=layout)
    if adjusted:
        checks["composition_adjusted"] = _tables_by_name(adjusted, layout=layout)
    table = hub_robustness(_hubs_by_name(hubs, layout=layout), top_n=top_hubs, checks=checks, alpha=alpha,
                           lfc_threshold=lfc_threshold)
    write_table(table, output)
