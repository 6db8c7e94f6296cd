"""Differential expression by a linear mixed model: every contrast of the interface from one fit per gene.

The route of ``voom`` + ``dream`` (variancePartition) for blood sampled repeatedly from the same patients:

1. voom precision weights (:mod:`trialrna.voom`) for the fixed-effects design, without ``duplicateCorrelation``:
   the random intercept models the within-patient correlation itself, as dream does;
2. per gene, ``E ~ 0 + group:timepoint + covariates + (1 | patient)`` with the voom weights, fitted by REML for
   all genes at once (:mod:`trialrna.lmm`): cell means, one per response group and visit, so every contrast is a
   difference of cells;
3. each contrast by a t test with Satterthwaite's degrees of freedom (lmerTest's), two-sided p-values and
   Benjamini-Hochberg ``padj`` over the tested genes (limma's ``topTable``; no independent filtering);
4. optionally (the default) the residual variances moderated as ``variancePartition::eBayes`` does for a dream fit
   (:mod:`trialrna.moderation`): limma's ``squeezeVar`` with rdf.merMod's residual degrees of freedom, the t
   statistic recomputed with the posterior variance, and the prior degrees of freedom added to each contrast's
   Satterthwaite degrees of freedom. With tens of patients the prior barely moves the statistics; with few, it
   borrows strength across genes as limma does, which is why it is on by default.

Unlike DESeq2's nested design, which drops patients with one visit from the time contrasts, the mixed model keeps
every patient with a response group: a patient seen once still informs the cell means and the variances. Which
contrasts are tested, and why others are not, follows :func:`trialrna.contrasts.plan_contrasts`, so both routes
report the same names; the route has no likelihood-ratio test.

Result tables have the DESeq2 route's columns: ``log2FoldChange`` and ``lfcSE`` are on voom's log2-CPM scale
(``lfcSE`` with the moderated variance when moderating, so that ``stat = log2FoldChange / lfcSE``), ``stat`` is
the t statistic, ``baseMean`` is the mean count after scaling every library to the mean library size (voom's
normalisation: library sizes, no TMM), and ``log2FoldChange_shrunk`` is NaN: there is no apeGLM-type shrinkage of
the fold changes for this model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control
from scipy.stats import t as student_t

from trialrna import lmm, voom
from trialrna.contrasts import Contrast, explain_rank_deficiency, plan_contrasts
from trialrna.de import RESULT_COLUMNS, filter_expressed
from trialrna.deseq2 import over_genes
from trialrna.errors import InputError
from trialrna.moderation import squeeze_variances
from trialrna.vocabulary import GROUPS, NON_RESPONDERS, RESPONDERS, ResponseRule, parse_contrast

log = logging.getLogger(__name__)

FORMULA = "~ 0 + group:timepoint + covariates + (1 | patient)"
#: Contrasts of the planner that this route does not test (it has no reduced model).
NOT_IN_ROUTE = ("lrt_time_by_response",)


@dataclass
class MixedPlan:
    """The one mixed-model fit of a cohort: its fixed-effects design, patients and contrasts, and what is skipped."""

    design: pd.DataFrame | None  # samples x columns, float; None when nothing can be tested
    patients: pd.Series | None  # patient per sample (same index)
    contrasts: list[Contrast] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def contrast_names(self) -> list[str]:
        return [contrast.name for contrast in self.contrasts]


def cell(group: str, visit: str) -> str:
    """The design column of one response group at one visit."""
    return f"{group}:{visit}"


def _covariate_columns(values: pd.Series, *, name: str) -> pd.DataFrame:
    """Standardised numeric covariate, or treatment-coded indicators (first level as reference), as the planner."""
    if pd.api.types.is_numeric_dtype(values):
        if values.isna().any():
            raise InputError(f"de.covariates: {name} has missing values; fill them or leave {name} out")
        return pd.DataFrame({name: (values - values.mean()) / (values.std() or 1.0)})
    text = values.astype(str)
    levels = sorted(text.unique())
    return pd.DataFrame({f"{name}_{level}": (text == level).astype(float) for level in levels[1:]})


def _contrast(name: str, baseline: str) -> Contrast:
    """The cell-means weights of a contrast of the interface, from its name."""
    family, visit, group = parse_contrast(name)
    if family == "response":
        return Contrast(name, {cell(RESPONDERS, visit): 1.0, cell(NON_RESPONDERS, visit): -1.0},
                        f"responders vs non-responders at {visit}")
    if family == "time":
        return Contrast(name, {cell(group, visit): 1.0, cell(group, baseline): -1.0},
                        f"{visit} vs {baseline} in {group.replace('_', '-')}, patient as random intercept")
    return Contrast(name, {cell(RESPONDERS, visit): 1.0, cell(RESPONDERS, baseline): -1.0,
                           cell(NON_RESPONDERS, visit): -1.0, cell(NON_RESPONDERS, baseline): 1.0},
                    f"change {baseline} -> {visit} in responders minus in non-responders")


def plan_mixed(metadata: pd.DataFrame, *, covariates: Sequence[str] = ("arm",),
               response_rule: ResponseRule | None = None) -> MixedPlan:
    """The fixed-effects design and the contrasts of the one mixed-model fit the metadata supports.

    The contrasts tested and skipped (with reasons) are :func:`trialrna.contrasts.plan_contrasts`'s, without its
    likelihood-ratio test. The design has one column per response group and visit with samples (cell means) and
    the covariates that vary among the fitted samples (all samples with a response group).

    Parameters
    ----------
    metadata
        Per-sample table: ``sample``, ``patient``, ordered categorical ``timepoint`` (first = baseline),
        ``group`` (missing for NE) and the covariate columns.
    covariates
        Columns adjusted for (e.g. ``arm``).
    response_rule
        The configured response rule, named in the reasons of skipped contrasts.

    Raises
    ------
    InputError
        When a covariate is confounded with the response groups or visits (the design is not full rank).
    """
    plan = plan_contrasts(metadata, covariates=covariates, response_rule=response_rule)
    skipped = [(name, reason) for name, reason in plan.skipped if name not in NOT_IN_ROUTE]
    names = [contrast.name for fit in plan.fits for contrast in fit.contrasts]
    if not names:
        return MixedPlan(None, None, [], skipped)
    visits = list(metadata["timepoint"].cat.categories)
    fitted = metadata[metadata["group"].notna()].reset_index(drop=True)
    parts = [pd.DataFrame({cell(group, visit): ((fitted["group"] == group) & (fitted["timepoint"] == visit))
                           .astype(float) for group in GROUPS for visit in visits})]
    used = [column for column in covariates if fitted[column].nunique(dropna=False) > 1]
    parts += [_covariate_columns(fitted[column], name=column) for column in used]
    design = pd.concat(parts, axis=1)
    design = design.loc[:, design.abs().sum(axis=0) > 0].set_axis(fitted["sample"].tolist())
    explain_rank_deficiency(design, fitted[[*used, "group", "timepoint"]].rename(columns={"group": "response"}),
                            context="the mixed model")
    contrasts = [_contrast(name, visits[0]) for name in names]
    for contrast in contrasts:
        missing = set(contrast.weights) - set(design.columns)
        if missing:  # the planner's checks make this unreachable; kept so a change there cannot fit garbage
            raise ValueError(f"{contrast.name}: no samples in cell(s) {', '.join(sorted(missing))}")
    return MixedPlan(design, pd.Series(fitted["patient"].to_numpy(), index=design.index, name="patient"),
                     contrasts, skipped)


def _benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    adjusted = np.full_like(pvalues, np.nan)
    tested = np.isfinite(pvalues)
    if tested.any():
        adjusted[tested] = false_discovery_control(pvalues[tested], method="bh")
    return adjusted


def fit_mixed(counts: pd.DataFrame, plan: MixedPlan, *, moderate: bool = True, n_cpus: int = 1,
              chunk_size: int = 2048) -> dict[str, np.ndarray]:
    """voom weights and the REML fit of every gene of ``counts`` (already filtered) for ``plan``.

    Returns per-gene arrays: ``base_mean``, ``theta``, ``sigma``, ``residual_df``, ``posterior_variance`` (sigma^2
    moderated or not), and per contrast (genes x contrasts) ``estimate``, ``se``, ``df`` (Satterthwaite, plus the
    prior degrees of freedom when moderating), ``stat``, ``pvalue``; and the prior as ``prior_df`` and
    ``prior_variance`` (NaN without moderation).
    """
    raw = counts[plan.design.index].to_numpy(dtype=float)
    design = plan.design.to_numpy()
    codes, patients = pd.factorize(plan.patients)
    random_effect = bool((np.bincount(codes) >= 2).any())
    if not random_effect:
        log.warning("no patient has two samples in the fit: the patient variance cannot be told from the residual "
                    "variance, so the model is fitted without the random intercept (weighted least squares)")
    library_sizes = raw.sum(axis=0)
    trend = voom.fit_trend(raw, design, library_sizes=library_sizes, chunk_size=chunk_size)
    weights = np.array([contrast.vector(list(plan.design.columns)) for contrast in plan.contrasts])

    def block(genes: np.ndarray) -> dict[str, np.ndarray]:
        expression, precision = voom.voom_weights(raw[genes], design, trend=trend, library_sizes=library_sizes)
        return lmm.fit_random_intercept(expression, precision, design, codes, contrasts=weights,
                                        random_effect=random_effect)

    fit = over_genes(block, np.arange(len(raw)), chunk_size=chunk_size, n_cpus=n_cpus)
    variance, df = fit["sigma"] ** 2, fit["df"]
    prior_df = prior_variance = np.nan
    if moderate:
        squeezed = squeeze_variances(variance, fit["residual_df"])
        variance, prior_df, prior_variance = squeezed.variance, squeezed.prior_df, squeezed.prior_variance
        df = df + prior_df
        log.info("moderation: prior variance %.3g on %.3g degrees of freedom", prior_variance, prior_df)
    se = np.sqrt(fit["unscaled_variance"] * variance[:, None])
    stat = fit["estimate"] / se
    log.info("mixed model: %d genes x %d samples, %d patients, %d singular fits (theta = 0), median theta %.3g",
             len(raw), len(design), len(patients), int((fit["theta"] == 0).sum()), float(np.median(fit["theta"])))
    return {"base_mean": raw @ (library_sizes.mean() / library_sizes) / raw.shape[1], "theta": fit["theta"],
            "sigma": fit["sigma"], "residual_df": fit["residual_df"], "posterior_variance": variance,
            "estimate": fit["estimate"], "se": se, "df": df, "stat": stat,
            "pvalue": 2.0 * student_t.sf(np.abs(stat), df), "prior_df": np.asarray(prior_df),
            "prior_variance": np.asarray(prior_variance)}


def run_mixed(counts: pd.DataFrame, metadata: pd.DataFrame, *, genes: pd.DataFrame, covariates: Sequence[str],
              n_cpus: int, min_count: int, min_samples: int, response_rule: ResponseRule | None = None,
              moderate: bool = True, chunk_size: int = 2048) -> dict[str, pd.DataFrame]:
    """Filter, fit the mixed model once per gene and test every contrast the cohort supports.

    The counterpart of :func:`trialrna.de.run_fit` for the whole longitudinal cohort at once (one call per
    scope, e.g. per arm with that arm's metadata and without ``arm`` among ``covariates``).

    Parameters
    ----------
    counts, metadata
        Raw counts (genes x samples) and the per-sample table of :func:`trialrna.cohort.read_sample_metadata`.
    genes
        ``gene_id`` and ``symbol`` of the genes.
    covariates
        Columns adjusted for (``de.covariates``).
    n_cpus
        Threads.
    min_count, min_samples
        The expression filter (:func:`trialrna.de.filter_expressed`), over the fitted samples.
    response_rule
        Named in the reasons of skipped contrasts (logged).
    moderate
        Moderate the residual variances as dream's ``eBayes`` (default) or report lmerTest's plain t tests.
    chunk_size
        Genes per block: the fit's memory grows with ``chunk_size`` x (samples + patients x design columns), not
        with the number of genes.

    Returns
    -------
    ``{contrast name: table}`` with :data:`trialrna.de.RESULT_COLUMNS`, in the planner's order; skipped
    contrasts are absent (see :func:`plan_mixed`). ``padj`` is Benjamini-Hochberg over all filtered genes, as
    limma reports it: there is no ``alpha`` because DESeq2's independent filtering does not apply.
    """
    plan = plan_mixed(metadata, covariates=covariates, response_rule=response_rule)
    if not plan.contrasts:
        return {}
    expressed = filter_expressed(counts[plan.design.index], min_count=min_count, min_samples=min_samples,
                                 context="mixed model")
    fit = fit_mixed(expressed, plan, moderate=moderate, n_cpus=n_cpus, chunk_size=chunk_size)
    ids = pd.Series(expressed.index, index=expressed.index)
    symbols = ids.map(genes.set_index("gene_id")["symbol"]).fillna(ids).to_numpy()
    tables = {}
    for position, contrast in enumerate(plan.contrasts):
        pvalue = fit["pvalue"][:, position]
        tables[contrast.name] = pd.DataFrame({
            "gene_id": expressed.index.to_numpy(), "symbol": symbols, "baseMean": fit["base_mean"],
            "log2FoldChange": fit["estimate"][:, position], "lfcSE": fit["se"][:, position],
            "stat": fit["stat"][:, position], "pvalue": pvalue, "padj": _benjamini_hochberg(pvalue),
            "log2FoldChange_shrunk": np.nan,
        })[RESULT_COLUMNS]
    return tables
