"""Figures of one DE result table: MA plot, volcano plot with the top genes labelled, p-value histogram."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

UP, DOWN, FLAT = "#c0392b", "#2471a3", "#b3b3b3"


def _save(fig: plt.Figure, path: str | Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def significant(table: pd.DataFrame, *, alpha: float, lfc_threshold: float) -> tuple[pd.Series, pd.Series]:
    """Masks of genes significantly up and down (padj < alpha and |log2FC| > threshold)."""
    hit = (table["padj"] < alpha) & (table["log2FoldChange"].abs() > lfc_threshold)
    return hit & (table["log2FoldChange"] > 0), hit & (table["log2FoldChange"] < 0)


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
    _save(fig, path)


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
    _save(fig, path)


def plot_pvalue_histogram(table: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Histogram of raw p-values: flat with a spike near 0 when the model fits and there is signal."""
    fig, axis = plt.subplots(figsize=(5.5, 3.8))
    axis.hist(table["pvalue"].dropna(), bins=np.linspace(0, 1, 41), color="#5d6d7e")
    axis.set_xlabel("p-value")
    axis.set_ylabel("genes")
    axis.set_title(title, fontsize=10)
    _save(fig, path)


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


def summarise_files(paths: list[str], *, alpha: float, lfc_threshold: float) -> pd.DataFrame:
    """:func:`summarise` over result files ``results/de/[arm_X/]contrast.tsv``, with a ``scope`` column.

    No files (a cohort that supports no contrast) give the header alone.
    """
    columns = ["scope", "contrast", "genes_tested", "genes_with_padj", "up", "down"]
    if not paths:
        return pd.DataFrame(columns=columns)
    rows = []
    for path in map(Path, paths):
        scope = path.parent.name if path.parent.name.startswith("arm_") else "all"
        table = summarise({path.stem: pd.read_csv(path, sep="\t")}, alpha=alpha, lfc_threshold=lfc_threshold)
        rows.append(table.assign(scope=scope))
    return pd.concat(rows, ignore_index=True)[columns]
