"""WGCNA-style co-expression modules (Langfelder & Horvath 2008) on variance-stabilised expression.

Steps as in WGCNA's step-by-step tutorial: soft-threshold power from the scale-free fit (``pickSoftThreshold``),
unsigned or signed adjacency, topological overlap (``TOMsimilarity``), average-linkage clustering of 1 - TOM cut by
the dynamic hybrid tree cut (the ``dynamicTreeCut`` port of R's cutreeHybrid), close modules merged by eigengene
correlation (``mergeCloseModules``), eigengenes correlated with sample traits (``corPvalueStudent``) and
intramodular connectivity kME (``signedKME``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from trialrna.plots import DIVERGING, HIGHLIGHT, INK, plt, save
from trialrna.vocabulary import UNASSIGNED_MODULE

log = logging.getLogger(__name__)

#: WGCNA's advice: below this many samples, module detection and trait correlations are unreliable.
MIN_SAMPLES = 15


def variance_stabilise(counts: pd.DataFrame, *, n_cpus: int) -> pd.DataFrame:
    """DESeq2's blind variance-stabilising transformation (:mod:`trialrna.deseq2`), genes x samples."""
    from trialrna.deseq2 import variance_stabilising_transformation

    return variance_stabilising_transformation(counts, n_cpus=n_cpus)


def most_variable_genes(expression: pd.DataFrame, *, n_genes: int) -> pd.DataFrame:
    """The ``n_genes`` rows with the highest variance (ties by gene id, so the choice is deterministic)."""
    variance = expression.var(axis=1).sort_index()
    return expression.loc[variance.sort_values(ascending=False, kind="stable").index[:n_genes]]


def adjacency(correlation: np.ndarray, *, power: float, network_type: str) -> np.ndarray:
    """WGCNA adjacency: |cor|^power (unsigned) or ((1 + cor) / 2)^power (signed)."""
    base = np.abs(correlation) if network_type == "unsigned" else (1 + correlation) / 2
    return base ** power


def scale_free_fit(connectivity: np.ndarray, *, n_breaks: int = 10) -> tuple[float, float]:
    """Signed R^2 and slope of log10 p(k) ~ log10 k over ``n_breaks`` equal-width bins (WGCNA's scaleFreeFitIndex).

    As in WGCNA, bins are closed on the right, an empty bin counts at its midpoint with p = 1e-9.
    """
    edges = np.linspace(connectivity.min(), connectivity.max(), n_breaks + 1)
    bins = np.digitize(connectivity, edges[1:-1], right=True)
    frequency = np.bincount(bins, minlength=n_breaks) / len(connectivity)
    mean_k = np.array([connectivity[bins == b].mean() if np.any(bins == b) else (edges[b] + edges[b + 1]) / 2
                       for b in range(n_breaks)])
    x, y = np.log10(mean_k), np.log10(frequency + 1e-9)
    fit = stats.linregress(x, y)
    return float(-np.sign(fit.slope) * fit.rvalue ** 2), float(fit.slope)


def pick_soft_threshold(expression: pd.DataFrame, *, powers: Sequence[int], network_type: str,
                        r2_cut: float = 0.85) -> tuple[int, pd.DataFrame]:
    """Lowest power whose scale-free fit reaches ``r2_cut`` (else the best fit), and the table of every power."""
    correlation = np.corrcoef(expression.to_numpy(float))
    rows = []
    for power in powers:
        matrix = adjacency(correlation, power=power, network_type=network_type)
        connectivity = matrix.sum(axis=1) - 1
        r2, slope = scale_free_fit(connectivity)
        rows.append((power, r2, slope, connectivity.mean(), np.median(connectivity), connectivity.max()))
    table = pd.DataFrame(rows, columns=["power", "scale_free_r2", "slope", "mean_k", "median_k", "max_k"])
    reaching = table[table["scale_free_r2"] >= r2_cut]
    if reaching.empty:
        chosen = int(table.loc[table["scale_free_r2"].idxmax(), "power"])
        log.warning("no soft-threshold power reaches scale-free R^2 %.2f (best %.2f at power %d); using it",
                    r2_cut, table["scale_free_r2"].max(), chosen)
    else:
        chosen = int(reaching["power"].iloc[0])
    table["chosen"] = table["power"] == chosen
    return chosen, table


def topological_overlap(adjacency_matrix: np.ndarray) -> np.ndarray:
    """WGCNA's TOM: (sum_u a_iu a_uj + a_ij) / (min(k_i, k_j) + 1 - a_ij), diagonal 1."""
    matrix = adjacency_matrix.copy()
    np.fill_diagonal(matrix, 0.0)
    shared = matrix @ matrix
    connectivity = matrix.sum(axis=1)
    tom = (shared + matrix) / (np.minimum.outer(connectivity, connectivity) + 1 - matrix)
    np.fill_diagonal(tom, 1.0)
    return tom


def eigengenes(expression: pd.DataFrame, modules: pd.Series) -> pd.DataFrame:
    """First principal component of each module's standardised expression, signed to follow the module mean."""
    columns = {}
    for module in sorted(modules.unique()):
        values = expression.loc[modules.index[modules == module]].to_numpy(float)
        scaled = (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, ddof=1, keepdims=True)
        scaled = np.nan_to_num(scaled)
        _, _, components = np.linalg.svd(scaled, full_matrices=False)
        eigengene = components[0]
        if np.corrcoef(eigengene, scaled.mean(axis=0))[0, 1] < 0:
            eigengene = -eigengene
        columns[module] = eigengene
    return pd.DataFrame(columns, index=expression.columns)


def _merge_close_modules(expression: pd.DataFrame, modules: pd.Series, *, cut_height: float) -> pd.Series:
    """Merge modules whose eigengenes correlate above 1 - ``cut_height``, until none do."""
    while True:
        assigned = modules[modules != UNASSIGNED_MODULE]
        if assigned.nunique() < 2:
            return modules
        eigen = eigengenes(expression, assigned)
        dissimilarity = 1 - np.corrcoef(eigen.to_numpy().T)
        tree = linkage(squareform(dissimilarity, checks=False), method="average")
        groups = fcluster(tree, t=cut_height, criterion="distance")
        if len(set(groups)) == eigen.shape[1]:
            return modules
        merged_into = {module: f"merged{group}" for module, group in zip(eigen.columns, groups, strict=True)}
        modules = modules.replace(merged_into)


def _name_by_size(modules: pd.Series) -> pd.Series:
    sizes = modules[modules != UNASSIGNED_MODULE].value_counts()
    order = sorted(sizes.index, key=lambda m: (-sizes[m], m))
    names = {module: f"M{position}" for position, module in enumerate(order, start=1)}
    return modules.map(lambda m: names.get(m, UNASSIGNED_MODULE))


def find_modules(expression: pd.DataFrame, *, power: int, network_type: str, min_module_size: int,
                 detect_cut_height: float = 0.995, deep_split: int = 2, merge_cut_height: float = 0.25
                 ) -> pd.Series:
    """Module of every gene (``M1`` the largest; ``M0`` not assigned), by dynamic tree cut of 1 - TOM.

    ``detect_cut_height`` is blockwiseModules' default: cutreeHybrid's own default (99 % of the dendrogram's
    height range) lets weakly correlated genes join the branches of real modules.
    """
    correlation = np.corrcoef(expression.to_numpy(float))
    dissimilarity = 1 - topological_overlap(adjacency(correlation, power=power, network_type=network_type))
    np.fill_diagonal(dissimilarity, 0.0)
    condensed = squareform(dissimilarity, checks=False)
    tree = linkage(condensed, method="average")
    # No PAM stage: the port's PAM code calls numpy functions removed in numpy 2, so genes the tree cut leaves
    # unassigned stay in M0 instead of joining their nearest module.
    from dynamicTreeCut import cutreeHybrid  # seconds to import: only the module-detection job needs it

    cut = cutreeHybrid(tree, condensed, cutHeight=detect_cut_height, minClusterSize=min_module_size,
                       deepSplit=deep_split, pamStage=False, verbose=0)
    labels = pd.Series([f"raw{label}" if label > 0 else UNASSIGNED_MODULE for label in cut["labels"]],
                       index=expression.index)
    return _name_by_size(_merge_close_modules(expression, labels, cut_height=merge_cut_height))


def sample_traits(metadata: pd.DataFrame) -> pd.DataFrame:
    """Numeric traits per sample: response (1 responder, 0 non-responder, missing NE), visit (0 = baseline, ...)
    and one indicator per arm after the first."""
    indexed = metadata.set_index("sample")
    traits = pd.DataFrame(index=indexed.index)
    traits["response"] = indexed["group"].map({"responders": 1.0, "non_responders": 0.0})
    traits["visit"] = indexed["timepoint"].cat.codes.astype(float)
    arms = sorted(indexed["arm"].dropna().unique())
    for arm in arms[1:]:
        traits[f"arm_{arm}"] = (indexed["arm"] == arm).astype(float)
    return traits


def module_trait_correlations(eigen: pd.DataFrame, traits: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of each eigengene with each trait (complete pairs) and its Student p-value."""
    rows = []
    for module in eigen.columns:
        for trait in traits.columns:
            both = pd.concat([eigen[module], traits[trait]], axis=1).dropna()
            if len(both) < 3 or both.iloc[:, 1].nunique() < 2:
                rows.append((module, trait, np.nan, np.nan, len(both)))
                continue
            r, p = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])
            rows.append((module, trait, float(r), float(p), len(both)))
    return pd.DataFrame(rows, columns=["module", "trait", "r", "p", "n"])


def module_membership(expression: pd.DataFrame, modules: pd.Series, eigen: pd.DataFrame, *, symbols: pd.Series
                      ) -> pd.DataFrame:
    """Each gene's module and kME (correlation with its module's eigengene), hubs first within each module."""
    values = expression.to_numpy(float)
    centred = (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, keepdims=True)
    eigen_values = eigen.to_numpy(float)
    eigen_centred = (eigen_values - eigen_values.mean(axis=0)) / eigen_values.std(axis=0)
    kme_all = pd.DataFrame(centred @ eigen_centred / values.shape[1], index=expression.index, columns=eigen.columns)
    table = pd.DataFrame({"gene_id": expression.index, "symbol": symbols.reindex(expression.index).to_numpy(),
                          "module": modules.to_numpy()})
    table["kME"] = [kme_all.at[gene, module] if module in kme_all.columns else np.nan
                    for gene, module in zip(table["gene_id"], table["module"], strict=True)]
    table["module_rank"] = table.groupby("module")["kME"].rank(ascending=False, method="first")
    return table.sort_values(["module", "module_rank"]).reset_index(drop=True)


def plot_module_traits(correlations: pd.DataFrame, sizes: pd.Series, path: str | Path, *, title: str) -> None:
    """Heatmap of eigengene-trait correlations, each cell annotated with r and p."""
    r = correlations.pivot(index="module", columns="trait", values="r")
    p = correlations.pivot(index="module", columns="trait", values="p")
    order = sorted(r.index, key=lambda m: int(m[1:]))
    r, p = r.loc[order], p.loc[order]
    fig, axis = plt.subplots(figsize=(1.6 * r.shape[1] + 3, 0.45 * r.shape[0] + 1.8))
    image = axis.imshow(r.to_numpy(float), cmap=DIVERGING, vmin=-1, vmax=1, aspect="auto")
    for i in range(r.shape[0]):
        for j in range(r.shape[1]):
            if np.isfinite(r.iat[i, j]):
                axis.text(j, i, f"{r.iat[i, j]:.2f}\n(p={p.iat[i, j]:.1g})", ha="center", va="center", fontsize=7,
                          color="white" if abs(r.iat[i, j]) > 0.6 else "black")
    axis.set_xticks(range(r.shape[1]), r.columns, rotation=30, ha="right", fontsize=8)
    axis.set_yticks(range(r.shape[0]), [f"{m} ({sizes.get(m, 0)} genes)" for m in r.index], fontsize=8)
    fig.colorbar(image, ax=axis, label="Pearson r", shrink=0.8)
    axis.set_title(title, fontsize=10)
    save(fig, path)


def plot_soft_threshold(table: pd.DataFrame, path: str | Path, *, r2_cut: float) -> None:
    """Scale-free fit and mean connectivity against the soft-threshold power, the chosen power marked."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    chosen = table[table["chosen"]]
    left.plot(table["power"], table["scale_free_r2"], "o-", color=INK)
    left.axhline(r2_cut, color=HIGHLIGHT, linestyle="--", linewidth=1)
    left.plot(chosen["power"], chosen["scale_free_r2"], "o", color=HIGHLIGHT, markersize=10)
    left.set(xlabel="soft-threshold power", ylabel="scale-free fit (signed R²)")
    right.plot(table["power"], table["mean_k"], "o-", color=INK)
    right.plot(chosen["power"], chosen["mean_k"], "o", color=HIGHLIGHT, markersize=10)
    right.set(xlabel="soft-threshold power", ylabel="mean connectivity", yscale="log")
    save(fig, path)


def coexpression_modules(expression: pd.DataFrame, metadata: pd.DataFrame, *, symbols: pd.Series, n_genes: int,
                         powers: Sequence[int], network_type: str, r2_cut: float, min_module_size: int,
                         detect_cut_height: float = 0.995, merge_cut_height: float = 0.25) -> dict[str, pd.DataFrame]:
    """The whole co-expression analysis on the ``n_genes`` most variable genes of ``expression``.

    Returns tables ``soft_threshold``, ``modules`` (gene, module, kME), ``eigengenes`` (sample x module),
    ``module_traits`` (module, trait, r, p, n) and ``notes`` (figure, note): the warnings a reader of the
    module figures needs beside them.
    """
    notes = []
    if expression.shape[1] < MIN_SAMPLES:
        notes.append(("module_traits", f"co-expression modules from {expression.shape[1]} samples: WGCNA advises "
                                       f"at least {MIN_SAMPLES}; treat modules and their trait correlations as "
                                       "exploratory"))
    chosen = most_variable_genes(expression, n_genes=n_genes)
    power, soft_threshold = pick_soft_threshold(chosen, powers=powers, network_type=network_type, r2_cut=r2_cut)
    if soft_threshold["scale_free_r2"].max() < r2_cut:
        notes.append(("soft_threshold", f"no soft-threshold power reaches the scale-free fit R^2 {r2_cut:g} (best "
                                        f"{soft_threshold['scale_free_r2'].max():.2f}, at power {power}, used): "
                                        "the network is not scale-free, so modules are less reliable"))
    modules = find_modules(chosen, power=power, network_type=network_type, min_module_size=min_module_size,
                           detect_cut_height=detect_cut_height, merge_cut_height=merge_cut_height)
    eigen = eigengenes(chosen, modules)
    log.info("soft-threshold power %d; %d modules (%d genes unassigned)", power,
             len(set(modules) - {UNASSIGNED_MODULE}), int((modules == UNASSIGNED_MODULE).sum()))
    traits = sample_traits(metadata).reindex(eigen.index)
    groups = metadata["group"].dropna().astype(str).unique()
    if len(groups) < 2:
        present = f"only {groups[0].replace('_', '-')}" if len(groups) else "no patient with a response group"
        notes.append(("module_traits", f"response cannot be correlated with the modules: {present} among the "
                                       "samples"))
    for figure, note in notes:
        if figure != "soft_threshold":  # pick_soft_threshold has logged that one
            log.warning("%s", note)
    return {"soft_threshold": soft_threshold,
            "modules": module_membership(chosen, modules, eigen, symbols=symbols),
            "eigengenes": eigen.rename_axis("sample").reset_index(),
            "module_traits": module_trait_correlations(eigen, traits),
            "notes": pd.DataFrame(notes, columns=["figure", "note"])}
