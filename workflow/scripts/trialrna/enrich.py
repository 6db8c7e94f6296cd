"""Over-representation (hypergeometric test, as gseapy.enrich) and pre-ranked GSEA (gseapy) of DE results, offline.

ORA tests the significant genes of one direction against the genes that passed the DE expression filter (the
DE table), never against the union of all gene sets. GSEA ranks genes by the Wald statistic and by default takes
its p-values from fgsea's adaptive multilevel procedure (gseapy's port), which is as accurate as 10,000
permutations in a fraction of the time (``benchmarks/gsea_methods.py``). Both restrict the sets to the background
before applying the size limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.gene_sets import read_gmt
from trialrna.layout import DIRECTIONS, RESULTS, Layout
from trialrna.plots import DIVERGING, DOWN, UP, placeholder, plt, save
from trialrna.symbols import one_gene_per_symbol
from trialrna.tables import read_table
from trialrna.vocabulary import significant

RESULT_COLUMNS = ["term", "id", "size", "overlap", "genes", "p", "padj", "nes"]
#: Separator of the ``genes`` column of result tables.
GENE_SEPARATOR = ","
_TERM_ID = re.compile(r"^(?P<term>.*) \((?P<id>GO:\d{7})\)$")


def _split_name(name: str) -> tuple[str, str]:
    match = _TERM_ID.match(name)
    return (match["term"], match["id"]) if match else (name, "")


def term_label(term: str, identifier: object) -> str:
    """``term (id)``, or the term alone when it has no id (KEGG terms; read back from a table, pandas makes the
    empty id NaN, which must never print as "(nan)")."""
    return f"{term} ({identifier})" if isinstance(identifier, str) and identifier else str(term)


def restrict_sets(sets: Mapping[str, Sequence[str]], background: set[str], *, min_size: int,
                  max_size: int) -> dict[str, list[str]]:
    """Sets restricted to the background genes, kept if their size there is within the limits."""
    restricted = {name: sorted(set(genes) & background) for name, genes in sets.items()}
    return {name: genes for name, genes in restricted.items() if min_size <= len(genes) <= max_size}


def significant_symbols(table: pd.DataFrame, *, direction: str, alpha: float, lfc_threshold: float) -> list[str]:
    """Symbols of genes significantly up or down in a DE table (:func:`trialrna.vocabulary.significant`)."""
    hits = significant(table, alpha=alpha, lfc_threshold=lfc_threshold)[DIRECTIONS.index(direction)]
    return sorted(set(table.loc[hits, "symbol"].dropna()))


def over_representation(table: pd.DataFrame, sets: Mapping[str, Sequence[str]], *, direction: str, alpha: float,
                        lfc_threshold: float, min_size: int, max_size: int) -> pd.DataFrame:
    """Hypergeometric ORA of one direction's significant genes, BH-adjusted (gseapy.enrich's test).

    Returns ``term, id, size, overlap, genes, p, padj, nes`` sorted by p; empty (with the header) when no gene
    is significant or no set fits the size limits. As in clusterProfiler's ``enricher`` and gseapy's ``enrich``,
    sets that contain no significant gene are not reported and the BH adjustment runs over the sets that do. A
    symbol shared by several gene ids counts once, through its highest-expressed gene (:mod:`trialrna.symbols`).
    The test is scipy's hypergeometric tail and BH, as gseapy computes it (``tests/test_enrich.py`` checks the two
    agree): importing gseapy would add over a second to every ORA job.
    """
    from scipy.stats import false_discovery_control, hypergeom

    table = one_gene_per_symbol(table, context="over-representation")
    background = set(table["symbol"])
    restricted = restrict_sets(sets, background, min_size=min_size, max_size=max_size)
    hits = set(significant_symbols(table, direction=direction, alpha=alpha, lfc_threshold=lfc_threshold))
    overlaps = {name: sorted(hits.intersection(genes)) for name, genes in restricted.items()}
    overlaps = {name: genes for name, genes in overlaps.items() if genes}
    if not overlaps:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    names = list(overlaps)
    overlap = np.array([len(overlaps[name]) for name in names])
    size = np.array([len(restricted[name]) for name in names])
    p = hypergeom.sf(overlap - 1, len(background), size, len(hits))
    split = [_split_name(name) for name in names]
    return pd.DataFrame({
        "term": [term for term, _ in split], "id": [identifier for _, identifier in split], "size": size,
        "overlap": overlap, "genes": [GENE_SEPARATOR.join(overlaps[name]) for name in names], "p": p,
        "padj": false_discovery_control(p), "nes": np.nan,
    }).sort_values(["p", "term"], kind="stable").reset_index(drop=True)


def over_representation_by_library(table: pd.DataFrame, libraries: Mapping[str, Mapping[str, Sequence[str]]], *,
                                   alpha: float, lfc_threshold: float, min_size: int, max_size: int
                                   ) -> dict[tuple[str, str], pd.DataFrame]:
    """:func:`over_representation` of the up and of the down genes in every library, keyed (library, direction)
    in library order, up first."""
    return {(library, direction): over_representation(table, sets, direction=direction, alpha=alpha,
                                                      lfc_threshold=lfc_threshold, min_size=min_size,
                                                      max_size=max_size)
            for library, sets in libraries.items() for direction in DIRECTIONS}


def ranking(table: pd.DataFrame) -> pd.Series:
    """Symbols ranked by Wald statistic (a symbol shared by several gene ids: its highest-expressed gene's)."""
    ranked = one_gene_per_symbol(table, context="GSEA ranking").dropna(subset=["stat"])
    return ranked.set_index("symbol")["stat"].sort_values(ascending=False, kind="stable")


#: GSEA significance procedures of :func:`preranked_gsea` (gseapy's names).
GSEA_METHODS = ("multilevel", "permutation")
#: Columns of GSEA tables: :data:`RESULT_COLUMNS`, then the enrichment score and, for multilevel, fgsea's
#: standard error of log2(p) (NaN for permutation).
GSEA_COLUMNS = [*RESULT_COLUMNS, "es", "log2err"]


@dataclass(frozen=True)
class GseaRun:
    """What :func:`plot_running_scores` needs of a GSEA run: the ranking and gseapy's per-set summaries."""

    ranking: pd.Series
    summaries: Mapping[str, object]


def preranked_gsea(table: pd.DataFrame, sets: Mapping[str, Sequence[str]], *, min_size: int, max_size: int,
                   permutations: int, seed: int, threads: int, method: str = "multilevel", sample_size: int = 101,
                   eps: float = 1e-50) -> tuple[pd.DataFrame, GseaRun | None]:
    """Pre-ranked GSEA of the Wald statistic with gseapy's engine and a fixed seed (same result on any thread count).

    Parameters
    ----------
    method
        ``"multilevel"``: fgsea's adaptive multilevel p-values (gseapy's port of fgsea's C++ core), BH-adjusted;
        NES = ES / mean same-sign ES of ``permutations`` random gene sets. ``"permutation"``: classic gene-set
        permutations, ``padj`` is GSEA's permutation q-value. The README ("GSEA method") compares them.
    sample_size, eps
        Multilevel only: fgsea's ``sampleSize`` and the smallest p-value reported.

    Returns
    -------
    The table (:data:`GSEA_COLUMNS`; ``genes`` is the leading edge in ranking order from the extreme end,
    ``overlap`` its size) sorted by p, and the run for :func:`plot_running_scores` (None when no set fits).
    """
    if method not in GSEA_METHODS:
        raise ValueError(f"GSEA method {method!r}: use one of {', '.join(GSEA_METHODS)}")
    ranks = ranking(table)
    restricted = restrict_sets(sets, set(ranks.index), min_size=min_size, max_size=max_size)
    if not restricted:
        return pd.DataFrame(columns=GSEA_COLUMNS), None
    from gseapy.gse import fgsea_rs, prerank_rs  # gseapy is slow to import and only GSEA needs it

    genes, values = ranks.index.to_list(), ranks.to_list()
    # The Rust functions gseapy.prerank calls, with its argument order (weight 1, as GSEA's default). Called
    # directly because gseapy.prerank then builds a frame holding every set's running score as Python floats:
    # half the time and three times the memory of the run itself for GO BP (benchmarks/gsea_methods.py).
    # test_enrich checks this equals gseapy.prerank exactly, so a gseapy update cannot change it silently.
    if method == "multilevel":
        summaries = fgsea_rs(genes, values, restricted, 1.0, min_size, max_size, sample_size, permutations, eps,
                             threads, seed).summaries
    else:
        summaries = prerank_rs(genes, values, restricted, 1.0, min_size, max_size, permutations, threads,
                               seed).summaries
    weights = np.abs(ranks.to_numpy())  # GSEA's weight 1: each hit steps up by its |statistic|
    rows = []
    for summary in summaries:
        term, identifier = _split_name(summary.term)
        leading = ranks.index[_leading_edge(np.asarray(summary.hits), weights, es=summary.es)]
        rows.append({"term": term, "id": identifier, "size": len(restricted[summary.term]),
                     "overlap": len(leading), "genes": GENE_SEPARATOR.join(leading), "p": summary.pval,
                     "padj": summary.fdr, "nes": summary.nes, "es": summary.es,
                     "log2err": summary.log2err if method == "multilevel" else np.nan})
    result = pd.DataFrame(rows, columns=GSEA_COLUMNS).sort_values(["p", "term"], kind="stable")
    return result.reset_index(drop=True), GseaRun(ranks, {summary.term: summary for summary in summaries})


def _leading_edge(hits: np.ndarray, weights: np.ndarray, *, es: float) -> np.ndarray:
    """Positions of the leading-edge genes, from the extreme end inwards; gseapy's rule (``GSEAbase._to_df``): the
    set's genes up to the running score's peak (ES >= 0), or from its trough to the bottom (ES < 0).

    The running score steps up by a hit's share of the set's |statistic| and down by 1 / misses at every other
    gene, so its peak is at a hit and its trough just before one (or at the end): both are found from the hits
    alone, without the per-gene running score gseapy returns (15,000 floats per set, seconds for GO BP).
    """
    hits = np.sort(hits)
    step_down = 1.0 / (len(weights) - len(hits))
    climbed = np.cumsum(weights[hits]) / weights[hits].sum()
    misses_before = hits - np.arange(len(hits))
    if es >= 0:
        peak = int(np.argmax(climbed - misses_before * step_down))  # the score just after each hit
        return hits[: peak + 1]
    # The score just before each hit (at the miss before it); a hit right after another is no trough candidate.
    before = np.concatenate([[0.0], climbed[:-1]]) - misses_before * step_down
    candidates = np.flatnonzero((hits > 0) & (misses_before > np.concatenate([[-1], misses_before[:-1]])))
    trough = candidates[np.argmin(before[candidates])]
    return hits[trough:][::-1]


def collapse_redundant(table: pd.DataFrame, sets: Mapping[str, Sequence[str]], *, threshold: float = 0.5,
                       limit: int | None = None) -> pd.DataFrame:
    """For figures: drop a term whose genes overlap (Jaccard >= threshold) a more significant kept term.

    Terms are taken by p-value and each is compared with the terms kept before it, so with ``limit`` the search
    stops at that many kept terms and gives the same first terms as without it.
    """
    ordered = table.sort_values("p", kind="stable")
    kept, kept_sets = [], []
    rows = zip(ordered.index, ordered["term"], ordered["id"], ordered["genes"], strict=True)
    for index, term, identifier, listed in rows:
        members = sets.get(term_label(term, identifier))
        genes = set(members) if members is not None else set(str(listed).split(GENE_SEPARATOR))
        if all(len(genes & other) / max(len(genes | other), 1) < threshold for other in kept_sets):
            kept.append(index)
            kept_sets.append(genes)
            if limit is not None and len(kept) == limit:
                break
    return table.loc[kept]


def _no_terms(path: str | Path, title: str) -> None:
    placeholder(path, title=title, message="no significant term")


def top_terms(tables: Mapping[tuple[str, str], pd.DataFrame], sets: Mapping[str, Mapping[str, Sequence[str]]], *,
              alpha: float, n: int) -> pd.DataFrame:
    """Significant ORA terms of all libraries and both directions, redundant GO terms collapsed, best ``n``."""
    rows = []
    for (library, direction), table in tables.items():
        significant = table[table["padj"] < alpha]
        if not significant.empty:
            collapsed = collapse_redundant(significant, sets[library], limit=n)
            rows.append(collapsed.assign(library=library, direction=direction))
    if not rows:
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "library", "direction"])
    return pd.concat(rows).sort_values("padj", kind="stable").head(n)


def plot_terms(terms: pd.DataFrame, path: str | Path, *, title: str, kind: str) -> None:
    """The top ORA terms, best on top: ``kind="dot"`` plots the gene ratio (overlap / set size; dot size =
    overlap, colour = -log10 padj), ``kind="bar"`` -log10 adjusted p to the right for terms enriched among up
    genes and to the left for down."""
    if terms.empty:
        _no_terms(path, title)
        return
    terms = terms.iloc[::-1]
    fig, axis = plt.subplots(figsize=(9, 0.32 * len(terms) + 1.5))
    minus_log_p = -np.log10(terms["padj"].clip(lower=1e-300))
    if kind == "dot":
        labels = [f"{row.term} [{row.library}, {row.direction}]" for row in terms.itertuples()]
        dots = axis.scatter(terms["overlap"] / terms["size"], labels, s=20 + 8 * terms["overlap"], c=minus_log_p,
                            cmap="viridis")
        fig.colorbar(dots, ax=axis, label="-log10 adjusted p")
        axis.set_xlabel("gene ratio (significant genes in set / set size)")
    else:
        score = minus_log_p * np.where(terms["direction"] == "up", 1, -1)
        axis.barh([f"{row.term} [{row.library}]" for row in terms.itertuples()], score,
                  color=np.where(score > 0, UP, DOWN))
        axis.axvline(0, color="black", linewidth=0.6)
        axis.set_xlabel("-log10 adjusted p (right: among up genes, left: among down genes)")
    axis.tick_params(axis="y", labelsize=8)
    axis.set_title(title, fontsize=10)
    save(fig, path)


def plot_running_scores(result: GseaRun | None, table: pd.DataFrame, path: str | Path, *, title: str,
                        alpha: float, n: int = 5) -> None:
    """Running enrichment scores of the top ``n`` significant terms (gseapy.gseaplot2), with the ranking below."""
    significant = table[table["padj"] < alpha]
    if result is None or significant.empty:
        _no_terms(path, title)
        return
    names = [term_label(row.term, row.id) for row in significant.head(n).itertuples()]
    summaries = [result.summaries[name] for name in names]
    from gseapy import gseaplot2

    axes = gseaplot2(terms=names, hits=[list(summary.hits) for summary in summaries],
                     RESs=[np.asarray(summary.run_es) for summary in summaries], rank_metric=result.ranking,
                     figsize=(7, 6))
    axes[0].figure.suptitle(title, fontsize=10)
    save(axes[0].figure, path, tight=False, crop=True)  # gseaplot2 lays out its own grid


def cross_contrast_matrix(tables: Mapping[str, pd.DataFrame], sets: Mapping[str, Sequence[str]], *, alpha: float,
                          n_per_contrast: int = 6) -> pd.DataFrame:
    """Terms x contrasts of signed -log10 adjusted p (up positive, down negative; the stronger direction).

    ``tables`` maps ``contrast`` to its ORA results with a ``direction`` column; rows are the union of each
    contrast's top terms after collapsing redundant GO terms.
    """
    chosen: list[str] = []
    for table in tables.values():
        significant = table[table["padj"] < alpha]
        for row in collapse_redundant(significant, sets, limit=n_per_contrast).itertuples():
            label = term_label(row.term, row.id)
            if label not in chosen:
                chosen.append(label)
    matrix = pd.DataFrame(0.0, index=chosen, columns=list(tables))
    for contrast, table in tables.items():
        for row in table.itertuples():
            label = term_label(row.term, row.id)
            if label in matrix.index:
                value = -np.log10(max(row.padj, 1e-300)) * (1 if row.direction == "up" else -1)
                if abs(value) > abs(matrix.at[label, contrast]):
                    matrix.at[label, contrast] = value
    return matrix


def plot_heatmap(matrix: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Heatmap of :func:`cross_contrast_matrix` (red: enriched among up genes, blue: among down genes)."""
    if matrix.empty:
        _no_terms(path, title)
        return
    limit = max(2.0, float(np.abs(matrix.to_numpy()).max()))
    fig, axis = plt.subplots(figsize=(1.0 * matrix.shape[1] + 7, 0.3 * matrix.shape[0] + 2.5))
    image = axis.imshow(matrix.to_numpy(), cmap=DIVERGING, vmin=-limit, vmax=limit, aspect="auto")
    axis.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=7)
    fig.colorbar(image, ax=axis, label="signed -log10 adjusted p (ORA)", shrink=0.6)
    axis.set_title(title, fontsize=10)
    save(fig, path)


def read_ora_tables(paths: Sequence[str | Path], *, layout: Layout = RESULTS) -> dict[tuple[str, str], pd.DataFrame]:
    """ORA tables of ``layout`` keyed by (library, direction)."""
    tables = {}
    for path in paths:
        wildcards = layout.parse("ora_table", path)
        # KEGG terms have no id: an empty cell, which must stay empty (not NaN from "NA"-like defaults).
        tables[(wildcards["library"], wildcards["direction"])] = read_table(path, keep_default_na=False,
                                                                            na_values=[""])
    return tables


def heatmap_matrix(table_paths: Sequence[str | Path], *, libraries: Mapping[str, str | Path], alpha: float,
                   shown: Sequence[str] = ("GO_BP", "KEGG_2021"), layout: Layout = RESULTS) -> pd.DataFrame:
    """:func:`cross_contrast_matrix` from the ORA tables of every contrast.

    Only the ``shown`` libraries that were run enter the heatmap (all libraries if none of them was).
    """
    chosen = [name for name in shown if name in libraries] or list(libraries)
    sets: dict[str, list[str]] = {}
    for name in chosen:
        sets.update(read_gmt(libraries[name]))
    by_contrast: dict[str, list[pd.DataFrame]] = {}
    for path in table_paths:
        wildcards = layout.parse("ora_table", path)
        if wildcards["library"] in chosen:
            table = read_ora_tables([path], layout=layout)[(wildcards["library"], wildcards["direction"])]
            parts = by_contrast.setdefault(wildcards["path"], [])  # a contrast without terms keeps its column
            if not table.empty:
                parts.append(table.assign(direction=wildcards["direction"]))
    empty = pd.DataFrame(columns=[*RESULT_COLUMNS, "direction"])
    tables = {contrast: pd.concat(parts, ignore_index=True) if parts else empty
              for contrast, parts in by_contrast.items()}
    return cross_contrast_matrix(tables, sets, alpha=alpha)
