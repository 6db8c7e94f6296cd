"""Sample QC: library sizes, detected genes, log-CPM PCA (scanpy) and sample-sample correlation."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from trialrna.plots import NOT_GROUPED, categorical, plt, save

if TYPE_CHECKING:
    import anndata

log = logging.getLogger(__name__)

#: Metadata columns the QC figures colour by, with their legend titles.
COLOUR_BY = {"group": "response", "timepoint": "visit", "arm": "arm"}


def library_stats(counts: pd.DataFrame, *, genes: pd.DataFrame | None = None,
                  max_gene_share: float = 0.5) -> pd.DataFrame:
    """Per-sample library size, detected genes and the share of the library taken by its top gene.

    Parameters
    ----------
    counts
        Raw counts, genes (index ``gene_id``) x samples.
    genes
        ``gene_id``, ``symbol`` to label the top gene; without it the symbol is the gene id.
    max_gene_share
        A sample whose top gene takes more than this share of its library is flagged ``dominated``.

    Returns
    -------
    ``sample, library_size, detected_genes, top_gene, top_symbol, top_gene_share, dominated``.
    """
    library_size = counts.sum(axis=0)
    top_gene = counts.idxmax(axis=0)
    top_count = counts.max(axis=0)
    symbols = genes.set_index("gene_id")["symbol"] if genes is not None else pd.Series(dtype=object)
    share = (top_count / library_size.where(library_size > 0)).to_numpy()
    stats = pd.DataFrame({
        "sample": counts.columns,
        "library_size": library_size.to_numpy(),
        "detected_genes": (counts > 0).sum(axis=0).to_numpy(),
        "top_gene": top_gene.to_numpy(),
        "top_symbol": [symbols.get(gene, gene) for gene in top_gene],
        "top_gene_share": share,
        "dominated": share > max_gene_share,
    })
    for row in stats[stats["dominated"]].itertuples():
        log.warning("sample %s: its top gene %s takes %.0f%% of the library (qc.max_gene_share %.0f%%); check "
                    "the library (globin genes dominate whole blood without globin depletion)", row.sample,
                    row.top_symbol, 100 * row.top_gene_share, 100 * max_gene_share)
    return stats


def log_cpm(counts: pd.DataFrame, *, min_cpm: float = 1.0, min_fraction: float = 0.1) -> anndata.AnnData:
    """log2(CPM + 1) with scanpy, keeping genes with CPM >= ``min_cpm`` in at least ``min_fraction`` of samples.

    Returns an AnnData of samples x genes.
    """
    import anndata  # scanpy and anndata take seconds to import: only the jobs that need them pay
    import scanpy as sc

    adata = anndata.AnnData(X=counts.T.to_numpy(dtype=np.float64),
                            obs=pd.DataFrame(index=counts.columns.astype(str)),
                            var=pd.DataFrame(index=counts.index.astype(str)))
    sc.pp.normalize_total(adata, target_sum=1e6)
    expressed = (adata.X >= min_cpm).mean(axis=0) >= min_fraction
    adata = adata[:, expressed].copy()
    sc.pp.log1p(adata, base=2)
    return adata


def most_variable(counts: pd.DataFrame, *, n_top_genes: int) -> anndata.AnnData:
    """log-CPM (:func:`log_cpm`) of the ``n_top_genes`` most variable genes, in their original order."""
    adata = log_cpm(counts)
    variance = np.asarray(adata.X.var(axis=0)).ravel()
    return adata[:, np.sort(np.argsort(variance)[::-1][: min(n_top_genes, adata.n_vars)])].copy()


def pca_table(counts: pd.DataFrame, *, n_top_genes: int, n_components: int, seed: int
              ) -> tuple[pd.DataFrame, pd.Series]:
    """PCA of the ``n_top_genes`` most variable log-CPM genes.

    Returns
    -------
    scores
        ``sample`` then ``PC1``... per sample.
    variance_ratio
        Fraction of variance explained per component.
    """
    import scanpy as sc

    adata = most_variable(counts, n_top_genes=n_top_genes)
    n_components = max(1, min(n_components, adata.n_obs - 1, adata.n_vars - 1))
    sc.pp.pca(adata, n_comps=n_components, random_state=seed, svd_solver="arpack")
    names = [f"PC{index + 1}" for index in range(n_components)]
    scores = pd.DataFrame(adata.obsm["X_pca"], columns=names)
    scores.insert(0, "sample", adata.obs_names)
    return scores, pd.Series(adata.uns["pca"]["variance_ratio"], index=names, name="variance_ratio")


def sample_correlation(counts: pd.DataFrame, *, n_top_genes: int) -> pd.DataFrame:
    """Pearson correlation between samples on the most variable log-CPM genes."""
    adata = most_variable(counts, n_top_genes=n_top_genes)
    return pd.DataFrame(np.corrcoef(adata.X), index=adata.obs_names, columns=adata.obs_names)


def flag_outliers(correlation: pd.DataFrame, *, n_mad: float = 5.0) -> pd.DataFrame:
    """Flag samples whose median correlation to the others is ``n_mad`` MADs below the cohort's median."""
    values = correlation.to_numpy(copy=True)
    np.fill_diagonal(values, np.nan)
    median_r = np.nanmedian(values, axis=1)
    centre = np.median(median_r)
    mad = np.median(np.abs(median_r - centre)) * 1.4826
    return pd.DataFrame({"sample": correlation.index, "median_correlation": median_r,
                         "outlier": median_r < centre - n_mad * max(mad, 1e-6)})


def _labels(metadata: pd.DataFrame, column: str) -> pd.Series:
    values = metadata[column].astype(object)
    return values.where(values.notna(), NOT_GROUPED).astype(str)


def _levels(metadata: pd.DataFrame, column: str) -> list[str]:
    series = metadata[column]
    ordered = list(series.cat.categories) if isinstance(series.dtype, pd.CategoricalDtype) else sorted(
        series.dropna().astype(str).unique())
    labels = set(_labels(metadata, column))
    return [level for level in ordered if level in labels] + ([NOT_GROUPED] if NOT_GROUPED in labels else [])


def plot_library_stats(stats: pd.DataFrame, metadata: pd.DataFrame, path: str | Path) -> None:
    """Bar charts of library size (millions) and detected genes per sample, coloured by visit."""
    table = stats.merge(metadata[["sample", "patient", "timepoint"]], on="sample").sort_values(
        ["timepoint", "patient"])
    colours = categorical(_levels(metadata, "timepoint"))
    fig, axes = plt.subplots(2, 1, figsize=(max(8, len(table) * 0.06), 6), sharex=True)
    x = np.arange(len(table))
    bar_colours = [colours[label] for label in table["timepoint"].astype(str)]
    axes[0].bar(x, table["library_size"] / 1e6, color=bar_colours, width=0.9)
    axes[0].set_ylabel("library size (M reads)")
    axes[1].bar(x, table["detected_genes"], color=bar_colours, width=0.9)
    axes[1].set_ylabel("detected genes (count > 0)")
    axes[1].set_xticks(x, table["sample"], rotation=90, fontsize=max(3, min(8, 400 / len(table))))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in colours.values()]
    axes[0].legend(handles, list(colours), title="visit", fontsize=8, loc="upper right")
    save(fig, path)


def plot_pca(scores: pd.DataFrame, variance_ratio: pd.Series, metadata: pd.DataFrame, path: str | Path) -> None:
    """PC1 vs PC2, one panel per colouring (response, visit, arm)."""
    table = scores.merge(metadata, on="sample")
    fig, axes = plt.subplots(1, len(COLOUR_BY), figsize=(5 * len(COLOUR_BY), 4.5))
    second = "PC2" if "PC2" in table else "PC1"
    for axis, (column, title) in zip(np.atleast_1d(axes), COLOUR_BY.items(), strict=True):
        labels = _labels(table, column)
        colours = categorical(_levels(table, column))
        for level, colour in colours.items():
            chosen = labels == level
            axis.scatter(table.loc[chosen, "PC1"], table.loc[chosen, second], s=18, color=colour, label=level,
                         alpha=0.85, edgecolor="none")
        axis.set_xlabel(f"PC1 ({variance_ratio['PC1']:.1%})")
        axis.set_ylabel(f"{second} ({variance_ratio[second]:.1%})")
        axis.set_title(f"coloured by {title}")
        axis.legend(fontsize=7, frameon=False)
    save(fig, path)


def plot_correlation_heatmap(correlation: pd.DataFrame, metadata: pd.DataFrame, path: str | Path) -> None:
    """Clustered sample-sample correlation heatmap with response, visit and arm colour bars."""
    distance = squareform(1 - correlation.to_numpy(), checks=False).clip(min=0)
    order = leaves_list(linkage(distance, method="average")) if len(correlation) > 2 else np.arange(
        len(correlation))
    ordered = correlation.iloc[order, order]
    meta = metadata.set_index("sample").loc[ordered.index].reset_index()
    size = max(6, min(16, len(ordered) * 0.08))
    fig = plt.figure(figsize=(size + 2, size + 0.8))
    grid = fig.add_gridspec(len(COLOUR_BY) + 1, 2, height_ratios=[0.4] * len(COLOUR_BY) + [size * 2.5],
                            width_ratios=[size * 2.5, 0.3], hspace=0.05, wspace=0.03)
    for row, (column, title) in enumerate(COLOUR_BY.items()):
        axis = fig.add_subplot(grid[row, 0])
        colours = categorical(_levels(meta, column))
        axis.imshow([[colours[label] for label in _labels(meta, column)]], aspect="auto")
        axis.set_xticks([])
        axis.set_yticks([0], [title], fontsize=8)
        handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in colours.values()]
        fig.legend(handles, list(colours), loc="upper left", bbox_to_anchor=(0.86, 0.98 - row * 0.1),
                   fontsize=7, title=title, title_fontsize=8, frameon=False)
    axis = fig.add_subplot(grid[-1, 0])
    image = axis.imshow(ordered.to_numpy(), cmap="viridis", aspect="auto")
    tick_size = max(2, min(8, 600 / len(ordered)))
    axis.set_xticks(range(len(ordered)), ordered.index, rotation=90, fontsize=tick_size)
    axis.set_yticks(range(len(ordered)), ordered.index, fontsize=tick_size)
    fig.colorbar(image, cax=fig.add_subplot(grid[-1, 1]), label="Pearson r (log-CPM)")
    fig.subplots_adjust(left=0.12, right=0.84, top=0.98, bottom=0.1)
    save(fig, path, tight=False)
