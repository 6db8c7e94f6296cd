"""Trial endpoints from the clinical sheet: response rates (exact CIs), survival (lifelines) and biomarkers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.plotting import add_at_risk_counts
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy.stats import binomtest, fisher_exact, mannwhitneyu
from statsmodels.stats.proportion import confint_proportions_2indep

from trialrna.errors import InputError
from trialrna.plots import plt, save
from trialrna.vocabulary import GROUPS, RATE_ENDPOINTS, SURVIVAL_ENDPOINTS

#: Best-response codes that count as a response for each endpoint (CBR's SD may need a minimum duration).
ALL_ARMS = "all"
#: A hazard ratio outside this range comes from a group with (almost) no events, not from the data's information.
ESTIMABLE_HR = (1e-3, 1e3)


def _responders(clinical: pd.DataFrame, endpoint: str, *, sd_duration_column: str | None,
                cbr_min_sd_weeks: float) -> pd.Series:
    responded = clinical["best_response"].isin(RATE_ENDPOINTS[endpoint])
    if endpoint == "CBR" and sd_duration_column:
        short_sd = (clinical["best_response"] == "SD") & ~(clinical[sd_duration_column] >= cbr_min_sd_weeks)
        responded &= ~short_sd
    return responded


def response_rates(clinical: pd.DataFrame, *, evaluable_only: bool = False, sd_duration_column: str | None = None,
                   cbr_min_sd_weeks: float = 24) -> pd.DataFrame:
    """ORR, CBR and DCR per arm and pooled (arm ``all``) with exact Clopper-Pearson 95 % CIs.

    Patients with NE stay in the denominator (intention to treat) unless ``evaluable_only``.
    Returns ``arm, endpoint, n, responders, rate, ci_low, ci_high`` with rates as fractions.
    """
    data = clinical[clinical["best_response"] != "NE"] if evaluable_only else clinical
    rows = []
    for arm, subset in [*sorted(data.groupby("arm")), (ALL_ARMS, data)]:
        for endpoint in RATE_ENDPOINTS:
            k = int(_responders(subset, endpoint, sd_duration_column=sd_duration_column,
                                cbr_min_sd_weeks=cbr_min_sd_weeks).sum())
            n = len(subset)
            interval = binomtest(k, n).proportion_ci(method="exact") if n else None
            rows.append((arm, endpoint, n, k, k / n if n else np.nan, interval.low if n else np.nan,
                         interval.high if n else np.nan))
    return pd.DataFrame(rows, columns=["arm", "endpoint", "n", "responders", "rate", "ci_low", "ci_high"])


def control_arm(arms: Sequence[str], configured: str | None) -> str:
    """The reference arm: the configured one, else the first in alphabetical order."""
    if configured and configured not in arms:
        raise InputError(f"clinical.control_arm {configured!r} is not an arm of the clinical sheet "
                         f"({', '.join(arms)})")
    return configured or sorted(arms)[0]


def rate_differences(rates: pd.DataFrame, *, control: str) -> pd.DataFrame:
    """Each arm minus the control arm, per endpoint: Newcombe 95 % CI (statsmodels) and Fisher's exact p."""
    rows = []
    per_arm = rates[rates["arm"] != ALL_ARMS].set_index(["endpoint", "arm"])
    for endpoint in RATE_ENDPOINTS:
        reference = per_arm.loc[(endpoint, control)]
        for arm in sorted(set(per_arm.loc[endpoint].index) - {control}):
            other = per_arm.loc[(endpoint, arm)]
            low, high = confint_proportions_2indep(other["responders"], other["n"], reference["responders"],
                                                   reference["n"], method="newcomb", compare="diff")
            table = [[other["responders"], other["n"] - other["responders"]],
                     [reference["responders"], reference["n"] - reference["responders"]]]
            rows.append((endpoint, arm, control, other["rate"], reference["rate"], other["rate"] - reference["rate"],
                         low, high, fisher_exact(table).pvalue))
    return pd.DataFrame(rows, columns=["endpoint", "arm", "control_arm", "rate", "control_rate", "difference",
                                       "ci_low", "ci_high", "fisher_p"])


def _survival_data(clinical: pd.DataFrame, endpoint: str, column: str) -> pd.DataFrame:
    columns = [f"{endpoint}_months", f"{endpoint}_event", column]
    return clinical[columns].dropna().rename(columns=dict(zip(columns, ["time", "event", "level"], strict=True)))


def cox_hazard_ratio(data: pd.DataFrame, *, duration: str, event: str, covariate: str
                     ) -> tuple[float, float, float, float, str]:
    """Cox hazard ratio of ``covariate`` with its 95 % CI and Wald p, or why it is not estimable.

    Returns ``hr, ci_low, ci_high, p, note``: with a non-empty ``note`` (the model did not converge, the ratio is
    outside :data:`ESTIMABLE_HR`, or a CI bound is 0 or infinite) the numbers are missing, as a small study
    cannot support them.
    """
    missing = (np.nan, np.nan, np.nan, np.nan)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            cox = CoxPHFitter().fit(data[[duration, event, covariate]], duration_col=duration, event_col=event)
    except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError) as error:
        separated = "separation" in str(error)
        return *missing, "the Cox model did not converge" + (": the events separate the groups completely"
                                                              if separated else "")
    hr = float(cox.hazard_ratios_[covariate])
    low, high = (float(bound) for bound in np.exp(cox.confidence_intervals_.loc[covariate]))
    if not ESTIMABLE_HR[0] <= hr <= ESTIMABLE_HR[1]:
        return *missing, (f"the estimate ({hr:.2g}) is outside {ESTIMABLE_HR[0]:g}-{ESTIMABLE_HR[1]:g}: too few "
                          "events to estimate it")
    if not (np.isfinite(low) and np.isfinite(high) and low > 0):
        return *missing, "its confidence interval reaches 0 or infinity: too few events to estimate it"
    return hr, low, high, float(cox.summary.loc[covariate, "p"]), ""


def _label(comparison: str, level: str) -> str:
    return level.replace("_", "-") if comparison == "response" else f"arm {level}"


def survival_table(clinical: pd.DataFrame, *, control: str) -> pd.DataFrame:
    """Kaplan-Meier medians (95 % CI), log-rank p and Cox HR (95 % CI) for PFS and OS, by arm and by response.

    The HR compares each arm with the control arm, and responders with non-responders. Returns ``endpoint,
    comparison, group, n, events, median, ci_low, ci_high, hr, hr_ci_low, hr_ci_high, p, estimable, note``
    (p: log-rank). A hazard ratio that is not estimable (a group without events, a ratio outside
    :data:`ESTIMABLE_HR`, an infinite or zero CI bound, no convergence) is missing, with ``estimable`` False and
    the reason in ``note``; the reference group's row says it is the reference.
    """
    rows = []
    for endpoint, label in SURVIVAL_ENDPOINTS.items():
        if f"{endpoint}_months" not in clinical:
            continue
        for comparison, column, reference in (("arm", "arm", control), ("response", "group", GROUPS[1])):
            data = _survival_data(clinical, endpoint, column)
            data["level"] = data["level"].astype(str)
            logrank_p = multivariate_logrank_test(data["time"], data["level"], data["event"]).p_value \
                if data["level"].nunique() > 1 else np.nan
            for level, subset in sorted(data.groupby("level")):
                fitter = KaplanMeierFitter().fit(subset["time"], subset["event"])
                low, high = median_survival_times(fitter.confidence_interval_).iloc[0]
                hr, estimable, note = (np.nan, np.nan, np.nan), pd.NA, ""
                if level == reference:
                    note = "reference group"
                elif (data["level"] == reference).any():
                    pair = data[data["level"].isin([level, reference])]
                    without = [name for name, part in pair.groupby("level") if part["event"].sum() == 0]
                    if without:
                        # Cox would report a ratio near 0 or infinity with a CI from 0 to infinity.
                        note = "no events among " + " and ".join(_label(comparison, name) for name in sorted(
                            without, key=lambda name: name != level))
                    else:
                        *hr, _, note = cox_hazard_ratio(pair.assign(x=(pair["level"] == level).astype(float)),
                                                        duration="time", event="event", covariate="x")
                    estimable = not note
                else:
                    note = f"no reference group ({_label(comparison, reference)}) to compare with"
                    estimable = False
                rows.append((label, comparison, level, len(subset), int(subset["event"].sum()),
                             fitter.median_survival_time_, low, high, *hr, logrank_p, estimable, note))
    return pd.DataFrame(rows, columns=["endpoint", "comparison", "group", "n", "events", "median", "ci_low",
                                       "ci_high", "hr", "hr_ci_low", "hr_ci_high", "p", "estimable", "note"])


def plot_kaplan_meier(clinical: pd.DataFrame, *, endpoint: str, path: str | Path) -> None:
    """Kaplan-Meier curves by arm and by response group, with numbers at risk under each panel."""
    label = SURVIVAL_ENDPOINTS[endpoint]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    for axis, (column, title) in zip(axes, (("arm", "by arm"), ("group", "by response group")), strict=True):
        data = _survival_data(clinical, endpoint, column)
        fitters = []
        for level, subset in sorted(data.groupby("level", observed=True)):
            fitter = KaplanMeierFitter(label=str(level)).fit(subset["time"], subset["event"])
            fitter.plot_survival_function(ax=axis, ci_show=True, show_censors=True, censor_styles={"ms": 4})
            fitters.append(fitter)
        if fitters:
            add_at_risk_counts(*fitters, ax=axis, rows_to_show=["At risk"])
        axis.set_title(f"{label} {title}")
        axis.set_xlabel("months")
        axis.set_ylabel(f"{label} probability")
        axis.set_ylim(0, 1.02)
    save(fig, path)


def biomarker_associations(clinical: pd.DataFrame, *, biomarkers: Sequence[str]) -> pd.DataFrame:
    """For each biomarker level (vs the other levels): ORR with Fisher's exact p, median PFS with log-rank p."""
    rows = []
    for biomarker in biomarkers:
        if biomarker not in clinical:
            raise InputError(f"clinical.biomarkers: {biomarker!r} is not a column of the clinical sheet")
        data = clinical.dropna(subset=[biomarker])
        responded = data["best_response"].isin(RATE_ENDPOINTS["ORR"])
        for level in sorted(data[biomarker].astype(str).unique()):
            inside = data[biomarker].astype(str) == level
            table = [[int((responded & inside).sum()), int((~responded & inside).sum())],
                     [int((responded & ~inside).sum()), int((~responded & ~inside).sum())]]
            pfs_median, pfs_p = np.nan, np.nan
            if "pfs_months" in data:
                survival = data.dropna(subset=["pfs_months", "pfs_event"])
                group = survival[biomarker].astype(str) == level
                pfs_median = KaplanMeierFitter().fit(survival.loc[group, "pfs_months"],
                                                     survival.loc[group, "pfs_event"]).median_survival_time_
                if 0 < group.sum() < len(survival):
                    pfs_p = multivariate_logrank_test(survival["pfs_months"], group, survival["pfs_event"]).p_value
            rows.append((biomarker, level, int(inside.sum()), table[0][0], table[0][0] / max(inside.sum(), 1),
                         (table[1][0]) / max((~inside).sum(), 1), fisher_exact(table).pvalue, pfs_median, pfs_p))
    return pd.DataFrame(rows, columns=["biomarker", "level", "n", "responders", "orr", "orr_other_levels",
                                       "fisher_p", "pfs_median", "pfs_logrank_p"])


def score_associations(score: pd.Series, clinical: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """Association of a per-patient score with response (ROC AUC) and survival (Cox HR per standard deviation).

    Parameters
    ----------
    score
        Patient -> score (e.g. baseline expression of hub genes).
    clinical
        Clinical sheet with ``group`` (responders / non_responders / missing) and optional survival columns.

    Returns
    -------
    ``score, endpoint, statistic, estimate, ci_low, ci_high, p, n, estimable, note``: the AUC of the score for
    telling non-responders from responders (Mann-Whitney U / n1 n2, exact two-sided p; no CI), and for PFS and OS
    the Cox hazard ratio per SD of the score with its 95 % CI and Wald p. A hazard ratio that is not estimable
    (no events, see :func:`cox_hazard_ratio`) is missing, with ``estimable`` False and the reason in ``note``.
    """
    columns = ["score", "endpoint", "statistic", "estimate", "ci_low", "ci_high", "p", "n", "estimable", "note"]
    data = clinical.set_index("patient").join(score.rename("score"), how="inner").dropna(subset=["score"])
    rows = []
    if len(data) < 3 or not data["score"].std() > 0:
        # No hub genes (nothing significant) or a constant score: nothing to associate.
        return pd.DataFrame(rows, columns=columns)
    grouped = data.dropna(subset=["group"])
    resistant = grouped.loc[grouped["group"] == GROUPS[1], "score"]
    responding = grouped.loc[grouped["group"] == GROUPS[0], "score"]
    if len(resistant) and len(responding):
        test = mannwhitneyu(resistant, responding, alternative="two-sided")
        rows.append((name, "response", "AUC (non-responders vs responders)",
                     test.statistic / (len(resistant) * len(responding)), np.nan, np.nan, test.pvalue,
                     len(resistant) + len(responding), True, ""))
    for endpoint, label in SURVIVAL_ENDPOINTS.items():
        if f"{endpoint}_months" not in data:
            continue
        subset = data[[f"{endpoint}_months", f"{endpoint}_event", "score"]].dropna()
        subset = subset.assign(score=(subset["score"] - subset["score"].mean()) / subset["score"].std())
        if subset[f"{endpoint}_event"].sum() == 0:
            estimate, note = (np.nan, np.nan, np.nan, np.nan), f"no {label} events among these patients"
        else:
            *estimate, note = cox_hazard_ratio(subset, duration=f"{endpoint}_months", event=f"{endpoint}_event",
                                               covariate="score")
        rows.append((name, label, "Cox HR per SD", *estimate, len(subset), not note, note))
    return pd.DataFrame(rows, columns=columns)
