"""Blood cell composition per sample from raw counts, its change over treatment, and DE adjusted for it.

Whole-blood expression moves when the mix of cells moves: a rise in neutrophils raises every gene that neutrophils
express, in responders and non-responders alike. This module estimates the composition and asks which DE results
survive adjustment for it.

Method. The reference is quanTIseq's TIL10 signature (:mod:`trialrna.cell_signature`), which is in TPM; the workflow
has raw counts without gene lengths, so a deconvolution into absolute fractions would compare counts with TPM. The
main readout is therefore a robust, relative marker-gene score per cell type: the markers are the signature genes
at least ``fold`` times higher in that cell type than in every other (quanTIseq's RNA-seq-noisy genes left out),
and a sample's score is the mean over the markers found in the data of their z-scores across samples of
log2(DESeq2-normalised count + 1) (``method="zscore"``; ``"mean_log2"`` is MCP-counter's plain mean of log2
expression). Gene length cancels out of both, since each gene is compared with itself across samples. Scores are
in standard-deviation units within the cohort, not fractions. :func:`approximate_shares` adds quanTIseq-style
non-negative least squares on CPM with the TIL10 mRNA scaling, labelled approximate: CPM is not TPM, and TIL10 lacks
eosinophils, basophils and platelets.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.stats import false_discovery_control, mannwhitneyu, norm, wilcoxon
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from trialrna import deseq2
from trialrna.cell_signature import CellSignature, marker_genes
from trialrna.contrasts import DesignFit, dependent_columns
from trialrna.de import run_fit
from trialrna.errors import InputError
from trialrna.plots import GROUP_COLOURS, plt, save
from trialrna.vocabulary import RESPONDERS

log = logging.getLogger(__name__)

ScoreMethod = Literal["zscore", "mean_log2"]
ChangeMethod = Literal["mixedlm", "mannwhitney"]
#: Fewer markers than this in the data make a cell type's score fragile (warned, still reported).
MIN_MARKERS = 3


def match_signature_genes(counts: pd.DataFrame, signature: CellSignature, *,
                          symbols: pd.Series | None = None) -> pd.Series:
    """Signature gene -> count-table row, by symbol or by Ensembl id (version suffix ignored).

    Parameters
    ----------
    counts
        Genes x samples; the index is the table's gene id (Ensembl or symbol).
    signature
        The reference (:func:`trialrna.cell_signature.read_cell_signature`).
    symbols
        Gene id -> symbol (e.g. ``genes.set_index("gene_id")["symbol"]``); without it ids are compared with the
        signature's symbols and Ensembl ids only.

    Returns
    -------
    Signature symbol -> gene id, for the signature genes found. Where several rows match one gene (ids sharing a
    symbol), the one with the highest mean count represents it, as :mod:`trialrna.symbols` does.
    """
    ids = counts.index.astype(str)
    rows = pd.DataFrame({"gene_id": ids, "stripped": ids.str.replace(r"^(ENSG\d+)\.\d+$", r"\1", regex=True),
                         "mean": counts.mean(axis=1).to_numpy()})
    rows["symbol"] = symbols.reindex(ids).to_numpy() if symbols is not None else None
    ensembl = signature.genes["ensembl_gene_id"].replace("", np.nan).dropna()
    by_ensembl = pd.Series(ensembl.index, index=ensembl.to_numpy())
    pairs = pd.concat([
        rows.assign(gene=rows["symbol"]),
        rows.assign(gene=rows["gene_id"]),
        rows.assign(gene=rows["stripped"].map(by_ensembl)),
    ]).dropna(subset=["gene"])
    pairs = pairs[pairs["gene"].isin(signature.expression.index)].drop_duplicates(["gene", "gene_id"])
    best = pairs.sort_values(["mean", "gene_id"], ascending=[False, True], kind="stable").drop_duplicates("gene")
    return best.set_index("gene")["gene_id"].reindex(
        [gene for gene in signature.expression.index if gene in set(best["gene"])])


def _normalised_log2(counts: pd.DataFrame) -> pd.DataFrame:
    """log2(count / DESeq2 size factor + 1): median-of-ratios is robust to the few genes a composition shift moves a
    lot, unlike library-size scaling."""
    factors = deseq2.size_factors(counts.to_numpy(dtype=float))
    return np.log2(counts / factors + 1)


def marker_scores(counts: pd.DataFrame, signature: CellSignature, *, symbols: pd.Series | None = None,
                  fold: float = 3.0, exclude_noisy: bool = True, min_median_count: float = 5.0,
                  method: ScoreMethod = "zscore", min_markers: int = MIN_MARKERS) -> pd.DataFrame:
    """Per-sample marker-gene score of every cell type of the reference.

    Parameters
    ----------
    counts
        Raw counts, genes x samples (all genes: they set the size factors).
    signature
        The reference (:func:`trialrna.cell_signature.read_cell_signature`).
    symbols
        Gene id -> symbol, to find markers in an Ensembl-keyed table (:func:`match_signature_genes`).
    fold, exclude_noisy
        Marker choice (:func:`trialrna.cell_signature.marker_genes`).
    min_median_count
        A marker counts as found when its median normalised count reaches this; barely detected markers add noise.
    method
        ``zscore`` (mean z-score of log2 normalised counts) or ``mean_log2`` (MCP-counter's mean log2 expression).
    min_markers
        Cell types with fewer markers found are warned about in the log.

    Returns
    -------
    ``sample, cell_type, score, n_markers, n_reference_markers, markers`` (one row per sample and cell type; score
    missing where no marker was found).

    Raises
    ------
    InputError
        When no marker of any cell type is found.
    """
    markers = marker_genes(signature, fold=fold, exclude_noisy=exclude_noisy)
    matched = match_signature_genes(counts, signature, symbols=symbols)
    expression = _normalised_log2(counts)
    rows = []
    for cell_type, genes in markers.items():
        ids = [matched[gene] for gene in genes if gene in matched.index]
        ids = [gene_id for gene_id in ids if np.median(2 ** expression.loc[gene_id] - 1) >= min_median_count]
        values = expression.loc[ids]
        if method == "zscore":
            spread = values.std(axis=1, ddof=1).replace(0, np.nan)
            values = values.sub(values.mean(axis=1), axis=0).div(spread, axis=0).dropna()
        score = values.mean(axis=0) if len(values) else pd.Series(np.nan, index=counts.columns)
        found = [gene for gene in genes if gene in matched.index and matched[gene] in set(values.index)]
        if len(found) < min_markers:
            log.warning("cell composition: %s has %d of its %d TIL10 markers in the data (fewer than %d): its score "
                        "is fragile", cell_type, len(found), len(genes), min_markers)
        rows.append(pd.DataFrame({"sample": counts.columns, "cell_type": cell_type, "score": score.to_numpy(),
                                  "n_markers": len(found), "n_reference_markers": len(genes),
                                  "markers": ",".join(found)}))
    table = pd.concat(rows, ignore_index=True)
    if table["n_markers"].max() == 0:
        raise InputError(
            f"cell composition: none of the {sum(map(len, markers.values()))} TIL10 marker genes is expressed "
            f"(median normalised count >= {min_median_count}) in the count table; {len(matched)} of the 170 "
            "signature genes matched its gene ids. Check that the gene ids are human Ensembl ids or HGNC symbols "
            "and that the gene annotation (symbols) belongs to this table")
    return table


def approximate_shares(counts: pd.DataFrame, signature: CellSignature, *, symbols: pd.Series | None = None,
                       exclude_noisy: bool = True) -> pd.DataFrame:
    """APPROXIMATE cell shares by quanTIseq's recipe on CPM instead of TPM (no gene lengths in a count table).

    Each sample's CPM over the signature genes found is fitted as a non-negative combination of the TIL10 columns
    (scipy's NNLS; quanTIseq adds a sum-to-at-most-one constraint and keeps the remainder as "other" cells), the
    coefficients are divided by the cells' relative mRNA content and rescaled to sum to one. Counts per million
    favour long genes where TPM would not, and TIL10 has no eosinophils, basophils or platelets: read the shares
    as a rough, relative picture and the marker scores (:func:`marker_scores`) as the readout.

    Returns
    -------
    ``sample, cell_type, approximate_share``.
    """
    matched = match_signature_genes(counts, signature, symbols=symbols)
    if exclude_noisy:
        matched = matched[signature.genes.loc[matched.index, "noisy_in_rnaseq"] != "yes"]
    if len(matched) < signature.expression.shape[1]:
        raise InputError(f"cell composition: {len(matched)} TIL10 signature genes found in the count table, fewer "
                         "than its cell types; check the gene ids (human Ensembl ids or HGNC symbols)")
    cpm = counts / counts.sum(axis=0) * 1e6
    reference = signature.expression.loc[matched.index].to_numpy()
    mixture = cpm.loc[matched.to_numpy()].to_numpy()
    coefficients = np.array([nnls(reference, mixture[:, sample])[0] for sample in range(mixture.shape[1])])
    cells = coefficients / signature.mrna_scaling.reindex(signature.cell_types).to_numpy()
    total = cells.sum(axis=1, keepdims=True)
    shares = np.divide(cells, total, out=np.full_like(cells, np.nan), where=total > 0)
    return (pd.DataFrame(shares, index=counts.columns, columns=signature.cell_types)
            .rename_axis(index="sample", columns="cell_type").stack().rename("approximate_share").reset_index())


def cell_composition(counts: pd.DataFrame, signature: CellSignature, *, symbols: pd.Series | None = None,
                     exclude_noisy: bool = True, shares: bool = True, **score_options: Any) -> pd.DataFrame:
    """The per-sample composition table: :func:`marker_scores`, with :func:`approximate_shares` if ``shares``.

    ``score_options`` (``fold``, ``min_median_count``, ``method``) go to :func:`marker_scores`.

    Returns
    -------
    ``sample, cell_type, score, n_markers, n_reference_markers, markers`` and, with ``shares``,
    ``approximate_share``.
    """
    table = marker_scores(counts, signature, symbols=symbols, exclude_noisy=exclude_noisy, **score_options)
    if shares:
        table = table.merge(approximate_shares(counts, signature, symbols=symbols, exclude_noisy=exclude_noisy),
                            on=["sample", "cell_type"], how="left")
    return table


def _with_metadata(composition: pd.DataFrame, metadata: pd.DataFrame, *, value: str) -> pd.DataFrame:
    if value not in composition.columns:
        raise InputError(f"cell composition: column {value!r} is not in the composition table "
                         f"({', '.join(composition.columns)})")
    own = composition.drop(columns=[column for column in ("patient", "timepoint", "group") if column in composition])
    data = own.merge(metadata[["sample", "patient", "timepoint", "group"]], on="sample", how="inner")
    data = data[data["group"].notna()].dropna(subset=[value])
    if data.empty:
        raise InputError("cell composition: no sample of the composition table is in the sample sheet with a response "
                         "group; check that sample names match and that not every patient is NE")
    return data


def composition_change(composition: pd.DataFrame, metadata: pd.DataFrame, *, value: str = "score",
                       method: ChangeMethod = "mixedlm") -> pd.DataFrame:
    """Per cell type, the change from baseline over treatment and whether it differs between response groups.

    Parameters
    ----------
    composition
        :func:`cell_composition` table.
    metadata
        Per-sample ``sample, patient, timepoint`` (ordered categorical, baseline first) and ``group`` (missing for
        NE, who are left out).
    value
        Column to test (``score`` or ``approximate_share``).
    method
        ``mixedlm``: a linear mixed model per cell type, ``value ~ visit * group`` with a random intercept per
        patient (statsmodels MixedLM, REML), every sample of every grouped patient used; group coded +1/2
        responders, -1/2 non-responders, so the visit term is the change averaged over the two groups.
        ``mannwhitney``: per-patient changes from baseline, Wilcoxon signed-rank within groups and overall,
        Mann-Whitney U between groups (patients with both visits only).

    Returns
    -------
    ``cell_type, term, visit, estimate, se, pvalue, padj, n_patients, method, note``; terms per later visit are
    ``time_{visit}`` (both groups), ``time_{visit}_{group}`` and ``interaction_{visit}`` (responders' change minus
    non-responders', the sign of the DE contrasts). ``padj`` is Benjamini-Hochberg across cell types within a term.
    """
    data = _with_metadata(composition, metadata, value=value)
    visits = list(metadata["timepoint"].cat.categories)
    baseline, later = visits[0], visits[1:]
    if not later:
        raise InputError(f"cell composition: a single visit ({baseline}); no change over time to test")
    test = _mixed_model if method == "mixedlm" else _rank_tests
    rows = []
    for cell_type, subset in data.groupby("cell_type", sort=False):
        rows.extend({"cell_type": cell_type, "method": method, **row}
                    for row in test(subset, value=value, baseline=baseline, later=later))
    columns = ["cell_type", "term", "visit", "estimate", "se", "pvalue", "padj", "n_patients", "method", "note"]
    table = pd.DataFrame(rows, columns=[column for column in columns if column != "padj"])
    table["padj"] = np.nan
    for _, index in table.groupby("term").groups.items():
        pvalues = table.loc[index, "pvalue"]
        usable = pvalues.notna()
        if usable.any():
            table.loc[pvalues.index[usable], "padj"] = false_discovery_control(pvalues[usable], method="bh")
    return table[columns]


def _terms(visit: str) -> list[tuple[str, dict[str, float]]]:
    """The reported terms at one visit as weights on (change, interaction) of the +-1/2 group coding."""
    return [(f"time_{visit}", {"change": 1.0}),
            (f"time_{visit}_responders", {"change": 1.0, "interaction": 0.5}),
            (f"time_{visit}_non_responders", {"change": 1.0, "interaction": -0.5}),
            (f"interaction_{visit}", {"interaction": 1.0})]


def _mixed_model(data: pd.DataFrame, *, value: str, baseline: str, later: list[str]) -> list[dict]:
    group = np.where(data["group"] == RESPONDERS, 0.5, -0.5)
    exog = {"Intercept": np.ones(len(data)), "group": group}
    present = [visit for visit in later if (data["timepoint"] == visit).any()]
    for visit in present:
        at_visit = (data["timepoint"] == visit).to_numpy(float)
        exog[f"change:{visit}"], exog[f"interaction:{visit}"] = at_visit, at_visit * group
    exog = pd.DataFrame(exog, index=data.index)
    if dependent_columns(exog):  # e.g. one response group only: the group terms are not estimable
        exog = exog.drop(columns=dependent_columns(exog))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            result = MixedLM(data[value].to_numpy(float), exog, groups=data["patient"].to_numpy()).fit(reml=True)
        except (np.linalg.LinAlgError, ValueError) as error:  # e.g. a constant score: reported, not fatal
            return [{"term": term, "visit": visit, "estimate": np.nan, "se": np.nan, "pvalue": np.nan,
                     "n_patients": data.loc[data["timepoint"] == visit, "patient"].nunique(),
                     "note": f"mixed model failed: {error}"} for visit in later for term, _ in _terms(visit)]
    note = "; ".join(sorted({str(w.message).split("\n")[0] for w in caught
                             if issubclass(w.category, ConvergenceWarning)}))
    fixed = list(exog.columns)
    params = result.fe_params.to_numpy()
    # Linear combinations of the fixed effects by hand: statsmodels' t_test on MixedLM wants the variance
    # parameters in its restriction matrix too.
    covariance = result.cov_params().loc[fixed, fixed].to_numpy()
    rows = []
    for visit in present:
        n_patients = data.loc[data["timepoint"] == visit, "patient"].nunique()
        for term, weights in _terms(visit):
            names = {f"{part}:{visit}": weight for part, weight in weights.items()}
            if not set(names) <= set(fixed):
                continue
            vector = np.array([names.get(column, 0.0) for column in fixed])
            estimate, se = float(vector @ params), float(np.sqrt(vector @ covariance @ vector))
            rows.append({"term": term, "visit": visit, "estimate": estimate, "se": se,
                         "pvalue": float(2 * norm.sf(abs(estimate / se))) if se > 0 else np.nan,
                         "n_patients": n_patients, "note": note})
    return rows


def _rank_tests(data: pd.DataFrame, *, value: str, baseline: str, later: list[str]) -> list[dict]:
    wide = data.pivot_table(index=["patient", "group"], columns="timepoint", values=value, observed=True,
                            aggfunc="mean").reset_index()
    rows = []
    for visit in later:
        if visit not in wide.columns or baseline not in wide.columns:
            continue
        change = (wide[visit] - wide[baseline]).rename("change")
        both = pd.concat([wide["group"], change], axis=1).dropna()
        responders = both.loc[both["group"] == RESPONDERS, "change"]
        others = both.loc[both["group"] != RESPONDERS, "change"]
        tests = {f"time_{visit}": both["change"], f"time_{visit}_responders": responders,
                 f"time_{visit}_non_responders": others}
        for term, changes in tests.items():
            pvalue = float(wilcoxon(changes).pvalue) if len(changes) >= 2 and changes.any() else np.nan
            rows.append({"term": term, "visit": visit, "estimate": float(changes.mean()) if len(changes) else np.nan,
                         "se": float(changes.std(ddof=1) / np.sqrt(len(changes))) if len(changes) > 1 else np.nan,
                         "pvalue": pvalue, "n_patients": len(changes), "note": "mean change; Wilcoxon signed-rank"})
        enough = len(responders) >= 2 and len(others) >= 2
        rows.append({"term": f"interaction_{visit}", "visit": visit,
                     "estimate": float(responders.mean() - others.mean()) if enough else np.nan,
                     "se": float(np.sqrt(responders.var() / len(responders) + others.var() / len(others)))
                     if enough else np.nan,
                     "pvalue": float(mannwhitneyu(responders, others).pvalue) if enough else np.nan,
                     "n_patients": len(both), "note": "difference of mean changes; Mann-Whitney U"})
    return rows


def plot_composition(composition: pd.DataFrame, metadata: pd.DataFrame, path: str | Path, *, value: str = "score",
                     cell_types: Sequence[str] | None = None, ncols: int = 5) -> None:
    """Boxes of ``value`` by visit and response group, one panel per cell type, each patient's samples joined.

    Panel titles give the markers found (cell types without any are left out); the thin lines follow patients, so
    a rise shared by both groups shows as boxes and lines moving together in both colours.
    """
    data = _with_metadata(composition, metadata, value=value)
    visits = list(metadata["timepoint"].cat.categories)
    chosen = list(cell_types) if cell_types is not None else list(dict.fromkeys(data["cell_type"]))
    nrows = int(np.ceil(len(chosen) / ncols))
    fig, axes = plt.subplots(nrows, min(ncols, len(chosen)), figsize=(3.0 * min(ncols, len(chosen)), 2.9 * nrows),
                             squeeze=False)
    colours = GROUP_COLOURS
    for axis, cell_type in zip(axes.flat, chosen, strict=False):
        subset = data[data["cell_type"] == cell_type]
        for offset, (group, colour) in zip((-0.18, 0.18), colours.items(), strict=True):
            in_group = subset[subset["group"] == group]
            boxes = [in_group.loc[in_group["timepoint"] == visit, value].to_numpy() for visit in visits]
            axis.boxplot(boxes, positions=np.arange(len(visits)) + offset, widths=0.3, showfliers=False,
                         patch_artist=True, boxprops={"facecolor": colour, "alpha": 0.35, "edgecolor": colour},
                         medianprops={"color": colour}, whiskerprops={"color": colour}, capprops={"color": colour})
            for _, patient in in_group.groupby("patient"):
                patient = patient.sort_values("timepoint")
                axis.plot(patient["timepoint"].cat.codes + offset, patient[value], color=colour, alpha=0.25, lw=0.6,
                          marker="o", ms=2)
        markers = int(subset["n_markers"].iat[0]) if "n_markers" in subset and len(subset) else 0
        axis.set_title(f"{cell_type.replace('.', ' ')} ({markers} marker{'s' if markers != 1 else ''})", fontsize=9)
        axis.set_xticks(range(len(visits)), [visit.replace("_", " ") for visit in visits], rotation=30, fontsize=7)
        axis.tick_params(axis="y", labelsize=7)
    for axis in list(axes.flat)[len(chosen):]:
        axis.set_visible(False)
    axes[0, 0].set_ylabel({"score": "marker score (z)", "approximate_share": "approximate share"}.get(value, value))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour, alpha=0.5) for colour in colours.values()]
    fig.legend(handles, [group.replace("_", "-") for group in colours], loc="upper center", ncol=2, fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / (2.9 * nrows)))
    save(fig, path, tight=False)


def adjusted_fit(fit: DesignFit, composition: pd.DataFrame, *, cell_types: Sequence[str] = ("Neutrophils",),
                 value: str = "score") -> DesignFit:
    """The planner's fit with the cell types' scores (standardised over its samples) as extra design columns.

    The columns are ``composition_{cell type}``; a reduced design (LRT) gains them too, so the LRT still tests
    only the trajectories.

    Raises
    ------
    InputError
        When a cell type or sample has no score, or the augmented design is not full rank (a score that is
        constant, or a combination of the visits and patients).
    """
    wide = composition.pivot_table(index="sample", columns="cell_type", values=value, aggfunc="first")
    missing = [cell for cell in cell_types if cell not in wide.columns or wide[cell].isna().all()]
    if missing:
        raise InputError(f"composition adjustment: no {value} for {', '.join(missing)}; available: "
                         f"{', '.join(wide.columns[wide.notna().any()])}")
    scores = wide.reindex(fit.design.index)[list(cell_types)]
    if scores.isna().any().any():
        raise InputError(f"composition adjustment: samples without a {value}: "
                         f"{', '.join(scores.index[scores.isna().any(axis=1)][:5])}; compute the composition on the "
                         "same count table as the fit")
    # Standardised, as DESeq2 recommends for continuous covariates (the IRLS is better conditioned).
    columns = ((scores - scores.mean()) / scores.std(ddof=1).replace(0, 1.0)).add_prefix("composition_")
    design = pd.concat([fit.design, columns], axis=1)
    dependent = [column for column in dependent_columns(design) if column.startswith("composition_")]
    if dependent:
        raise InputError(f"composition adjustment of {fit.name}: {', '.join(dependent)} is constant or a combination "
                         "of the visit and patient columns; it cannot be adjusted for")
    reduced = None if fit.reduced is None else pd.concat([fit.reduced, columns.loc[fit.reduced.index]], axis=1)
    formula = f"{fit.formula} + " + " + ".join(columns.columns)
    return replace(fit, name=f"{fit.name}_composition_adjusted", formula=formula, design=design, reduced=reduced)


def composition_sensitivity(counts: pd.DataFrame, fit: DesignFit, composition: pd.DataFrame, *, genes: pd.DataFrame,
                            alpha: float, n_cpus: int, min_count: int, min_samples: int,
                            cell_types: Sequence[str] = ("Neutrophils",),
                            hubs: Sequence[str] | Mapping[str, Sequence[str]] = (),
                            unadjusted: Mapping[str, pd.DataFrame] | None = None,
                            contrasts: Sequence[str] | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Refit a design with the composition scores as covariates and report which findings survive.

    Parameters
    ----------
    counts, genes, alpha, n_cpus, min_count, min_samples
        As for :func:`trialrna.de.run_fit`.
    fit
        The planner's fit (:func:`trialrna.contrasts.plan_contrasts`), e.g. ``"longitudinal"``.
    composition
        :func:`cell_composition` table of the same samples.
    cell_types
        Scores added to the design (default the neutrophil score, the largest share of whole blood).
    hubs
        Hub genes (gene ids or symbols) to follow, for every contrast or per contrast name.
    unadjusted
        The fit's result tables if already computed (otherwise fitted here).
    contrasts
        Contrasts to summarise (default all of the fit's, and its LRT).

    Returns
    -------
    tables
        The adjusted result tables, by contrast (same columns as :func:`trialrna.de.run_fit`).
    summary
        ``contrast, gene_id, symbol, role, log2FoldChange, padj, log2FoldChange_adjusted, padj_adjusted, status``:
        one row per gene significant (padj < ``alpha``) before adjustment (``role`` top) or given as a hub
        (``hub``, or ``top+hub``); ``status`` is ``stays significant``, ``no longer significant`` or
        ``not significant before adjustment``.
    """
    options = {"genes": genes, "alpha": alpha, "n_cpus": n_cpus, "min_count": min_count, "min_samples": min_samples}
    before = dict(unadjusted) if unadjusted is not None else run_fit(counts, fit, **options)
    after = run_fit(counts, adjusted_fit(fit, composition, cell_types=cell_types), **options)
    names = list(contrasts) if contrasts is not None else [name for name in before if name in after]
    rows = []
    for name in names:
        old = before[name].set_index("gene_id")
        new = after[name].set_index("gene_id")
        wanted = hubs.get(name, ()) if isinstance(hubs, Mapping) else hubs
        hub_ids = set(old.index[old.index.isin(wanted) | old["symbol"].isin(wanted)])
        top = set(old.index[old["padj"] < alpha])
        for gene_id in sorted(top | hub_ids, key=lambda g: (old.at[g, "padj"] if pd.notna(old.at[g, "padj"])
                                                            else np.inf, g)):
            role = "+".join(label for label, chosen in (("top", gene_id in top), ("hub", gene_id in hub_ids))
                            if chosen)
            padj_after = new["padj"].get(gene_id, np.nan)
            status = ("not significant before adjustment" if gene_id not in top else
                      "stays significant" if padj_after < alpha else "no longer significant")
            rows.append({"contrast": name, "gene_id": gene_id, "symbol": old.at[gene_id, "symbol"], "role": role,
                         "log2FoldChange": old.at[gene_id, "log2FoldChange"], "padj": old.at[gene_id, "padj"],
                         "log2FoldChange_adjusted": new["log2FoldChange"].get(gene_id, np.nan),
                         "padj_adjusted": padj_after, "status": status})
        unknown = sorted(set(wanted) - set(old.index) - set(old["symbol"]))
        if unknown:
            log.warning("composition sensitivity, %s: hub genes not in the result table: %s", name,
                        ", ".join(unknown))
    columns = ["contrast", "gene_id", "symbol", "role", "log2FoldChange", "padj", "log2FoldChange_adjusted",
               "padj_adjusted", "status"]
    return after, pd.DataFrame(rows, columns=columns)
