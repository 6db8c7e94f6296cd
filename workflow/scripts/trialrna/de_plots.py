"""Figures of one DE result table: MA plot, volcano plot with the top genes labelled, p-value histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.layout import RESULTS, Layout
from trialrna.plots import DOWN, FLAT, INK, UP, plt, save
from trialrna.tables import read_table
from trialrna.vocabulary import significant, split_result_path


def _colours(table: pd.DataFrame, *, alpha: float, lfc_threshold: float) -> np.ndarray:
    up, down = significant(table, alpha=alpha, lfc_threshold=lfc_threshold)
    return np.where(up, UP, np.where(down, DOWN, FLAT))


def plot_ma(table: pd.DataFrame, path: str | Path, *, title: str, alpha: float, lfc_threshold: float) -> None:
    """log2 fold change against mean normalised count, significant genes coloured."""
    data = table.dropna(subset=["log2FoldChange"])
    fig, axis = plt.subplots(figsize=(6.5, 4.5))
    axis.scatter(data["baseMean"].clip(lower=0.1), data["log2FoldChange"], s=4, linewidths=0,
                 c=_colours(data, alpha=alpha, lfc_threshold=lfc_threshold), rasterized=True)
    axis.set_xscale("log")
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_xlabel("mean of normalised counts")
    axis.set_ylabel("log2 fold change")
    axis.set_title(title, fontsize=10)
    save(fig, path)


def plot_volcano(table: pd.DataFrame, path: str | Path, *, title: str, alpha: float, lfc_threshold: float,
                 n_labels: int = 15) -> None:
    """-log10 p-value against log2 fold change; the ``n_labels`` most significant genes are named."""
    data = table.dropna(subset=["log2FoldChange", "pvalue"]).copy()
    data["minus_log10_p"] = -np.log10(data["pvalue"].clip(lower=1e-300))
    up, down = significant(data, alpha=alpha, lfc_threshold=lfc_threshold)
    fig, axis = plt.subplots(figsize=(6.5, 5))
    axis.scatter(data["log2FoldChange"], data["minus_log10_p"], s=5, linewidths=0, rasterized=True,
                 c=_colours(data, alpha=alpha, lfc_threshold=lfc_threshold))
    top = data[up | down].nsmallest(n_labels, "pvalue")
    for row in top.itertuples():
        axis.annotate(row.symbol, (row.log2FoldChange, row.minus_log10_p), fontsize=7, xytext=(3, 2),
                      textcoords="offset points")
    axis.set_xlabel("log2 fold change")
    axis.set_ylabel("-log10 p-value")
    axis.set_title(f"{title}\n{int(up.sum())} up, {int(down.sum())} down (padj < {alpha:g})", fontsize=10)
    if not (up | down).any():
        axis.text(0.5, 0.95, "no gene significant at this threshold", transform=axis.transAxes, ha="center",
                  va="top", fontsize=9, color="dimgray")
    save(fig, path)


def plot_pvalue_histogram(table: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Histogram of raw p-values: flat with a spike near 0 when the model fits and there is signal."""
    fig, axis = plt.subplots(figsize=(5.5, 3.8))
    axis.hist(table["pvalue"].dropna(), bins=np.linspace(0, 1, 41), color=INK)
    axis.set_xlabel("p-value")
    axis.set_ylabel("genes")
    axis.set_title(title, fontsize=10)
    save(fig, path)


def plot_contrast(table: pd.DataFrame, *, ma: str | Path, volcano: str | Path, pvalues: str | Path, title: str,
                  alpha: float, lfc_threshold: float) -> None:
    """The three figures of one result table: MA plot, volcano plot and p-value histogram."""
    plot_ma(table, ma, title=title, alpha=alpha, lfc_threshold=lfc_threshold)
    plot_volcano(table, volcano, title=title, alpha=alpha, lfc_threshold=lfc_threshold)
    plot_pvalue_histogram(table, pvalues, title=title)


def summarise(tables: dict[str, pd.DataFrame], *, alpha: float, lfc_threshold: float) -> pd.DataFrame:
    """Per contrast: genes tested, with an adjusted p-value, and significantly up and down."""
    rows = []
    for name, table in tables.items():
        up, down = significant(table, alpha=alpha, lfc_threshold=lfc_threshold)
        rows.append((name, len(table), int(table["padj"].notna().sum()), int(up.sum()), int(down.sum())))
    return pd.DataFrame(rows, columns=["contrast", "genes_tested", "genes_with_padj", "up", "down"])


def summarise_files(paths: list[str], *, alpha: float, lfc_threshold: float, layout: Layout = RESULTS
                    ) -> pd.DataFrame:
    """:func:`summarise` over DE result files of ``layout``, with a ``scope`` column (``all`` or ``arm_x``)."""
    columns = ["scope", "contrast", "genes_tested", "genes_with_padj", "up", "down"]
    rows = []
    for path in paths:
        scope, name = split_result_path(layout.parse("de_table", path)["path"])
        rows.append(summarise({name: read_table(path)}, alpha=alpha, lfc_threshold=lfc_threshold).assign(scope=scope))
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)
