"""Plan the DE designs and contrasts of a longitudinal responder study from its sample metadata.

Three families (names fixed by DESIGN.md; positive log2FC = higher in the first named group):

- ``response_{visit}``: responders vs non-responders at one visit, ``~ covariates + group``.
- ``time_{visit}_{group}``: that visit vs baseline within a response group, paired by patient.
- ``interaction_{visit}``: change from baseline in responders minus change in non-responders.

Time and interaction contrasts come from one fit of DESeq2's "individuals nested within groups" design
``~ group + group:patient + group:timepoint``, with all-zero columns dropped when visits are missing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.errors import InputError, require_columns
from trialrna.vocabulary import (
    GROUPS,
    LRT_NAME,
    NON_RESPONDERS,
    RESPONDER_CODES,
    RESPONDERS,
    WHOLE_COHORT,
    ResponseRule,
    Route,
    arm_scope,
)

log = logging.getLogger(__name__)

#: Minimum samples per group (cross-sectional) or patients per group with the visit (longitudinal).
MIN_PER_GROUP = 2


@dataclass(frozen=True)
class Contrast:
    """One tested contrast: named weights on the design's columns."""

    name: str
    weights: dict[str, float]
    description: str

    def vector(self, columns: Sequence[str]) -> np.ndarray:
        """The contrast as a vector over ``columns``."""
        return np.array([self.weights.get(column, 0.0) for column in columns])

    @property
    def coefficient(self) -> str | None:
        """The design column when the contrast is a single coefficient (then LFC shrinkage applies)."""
        if len(self.weights) == 1 and next(iter(self.weights.values())) == 1.0:
            return next(iter(self.weights))
        return None


@dataclass
class DesignFit:
    """One design fitted once by DESeq2, with every contrast tested from that fit."""

    name: str
    formula: str
    design: pd.DataFrame  # samples x columns, float
    contrasts: list[Contrast] = field(default_factory=list)
    #: Reduced design for the likelihood-ratio test, if this fit carries one.
    reduced: pd.DataFrame | None = None
    lrt_name: str | None = None

    @property
    def result_names(self) -> list[str]:
        """The result tables of this fit: its contrasts, then its likelihood-ratio test if any."""
        return [contrast.name for contrast in self.contrasts] + ([self.lrt_name] if self.lrt_name else [])


@dataclass
class ContrastPlan:
    """All designs of one analysis (the whole cohort or one arm), and what was skipped and why."""

    fits: list[DesignFit]
    skipped: list[tuple[str, str]]
    dropped_patients: list[str]

    @property
    def contrast_names(self) -> list[str]:
        return [contrast.name for fit in self.fits for contrast in fit.contrasts]

    @property
    def result_names(self) -> list[str]:
        """Every result table of the plan's fits (:attr:`DesignFit.result_names`), fit by fit."""
        return [name for fit in self.fits for name in fit.result_names]

    def route_result_names(self, route: Route) -> list[str]:
        """Result tables one DE route writes for this plan: every contrast, and DESeq2's likelihood-ratio test."""
        return self.contrast_names if route == "mixed" else self.result_names

    def fit_of(self, contrast: str) -> DesignFit | None:
        """The fit that tests ``contrast`` (None when it is not tested)."""
        return next((fit for fit in self.fits if contrast in [c.name for c in fit.contrasts]), None)

    def fit(self, name: str) -> DesignFit:
        """The fit called ``name``."""
        return next(fit for fit in self.fits if fit.name == name)


def _dummies(values: pd.Series, *, name: str) -> pd.DataFrame:
    """Treatment-coded indicator columns (first level as reference), named ``name_level``."""
    levels = list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else sorted(
        values.unique())
    present = [level for level in levels if (values == level).any()]
    return pd.DataFrame({f"{name}_{level}": (values == level).astype(float) for level in present[1:]},
                        index=values.index)


def dependent_columns(design: pd.DataFrame) -> list[str]:
    """Design columns that are linear combinations of the columns before them (empty when full rank)."""
    matrix = design.to_numpy()
    dependent, rank = [], 0
    for position in range(matrix.shape[1]):
        new_rank = np.linalg.matrix_rank(matrix[:, : position + 1])
        if new_rank == rank:
            dependent.append(design.columns[position])
        rank = new_rank
    return dependent


def explain_rank_deficiency(design: pd.DataFrame, factors: pd.DataFrame, *, context: str) -> None:
    """Raise a plain-words :class:`InputError` if ``design`` is not of full column rank.

    Parameters
    ----------
    design
        Samples x columns design matrix.
    factors
        The sample-level variables the design was built from (for the explanation).
    context
        What is being fitted, for the message (e.g. ``contrast response_baseline``).
    """
    matrix = design.to_numpy()
    if np.linalg.matrix_rank(matrix) == matrix.shape[1]:
        return
    reasons = []
    names = list(factors.columns)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            table = pd.crosstab(factors[first].astype(str), factors[second].astype(str))
            if ((table > 0).sum(axis=1) <= 1).all() or ((table > 0).sum(axis=0) <= 1).all():
                pairs = ", ".join(f"{a} -> {b}" for a, b in
                                  factors[[first, second]].astype(str).drop_duplicates().itertuples(index=False))
                reasons.append(f"{first} is identical to {second} in this cohort ({pairs})")
    for column in names:
        if factors[column].nunique() == 1:
            reasons.append(f"{column} has a single value ({factors[column].iat[0]})")
    reasons = reasons or [f"design column(s) {', '.join(dependent_columns(design))} are combinations of the others"]
    raise InputError(
        f"The design for {context} is not full rank: {'; '.join(reasons)}. Remove the confounded covariate "
        "from de.covariates in the config, or analyse the groups separately."
    )


def _words(group: str) -> str:
    return group.replace("_", "-")


def _rule_words(rule: ResponseRule | None) -> str:
    if rule is None:
        return "the configured response rule"
    responders = "/".join(sorted(RESPONDER_CODES[rule]))
    others = "/".join(code for code in ("CR", "PR", "SD", "PD") if code not in RESPONDER_CODES[rule])
    return f"response.rule {rule} (responders {responders}, non-responders {others})"


def missing_group_reason(metadata: pd.DataFrame, *, response_rule: ResponseRule | None = None) -> str | None:
    """Why responders cannot be compared with non-responders in this cohort at all, or None if both groups exist.

    Parameters
    ----------
    metadata
        Per-sample table with ``patient`` and ``group`` (missing for NE).
    response_rule
        The configured response rule, named in the reason.
    """
    patients = metadata.drop_duplicates("patient")
    sizes = patients["group"].value_counts()
    not_evaluable = int(patients["group"].isna().sum())
    if sizes.get(RESPONDERS, 0) == 0 and sizes.get(NON_RESPONDERS, 0) == 0:
        return f"no patient has a response group: all {len(patients)} patients are not evaluable (NE)"
    for group in GROUPS:
        if sizes.get(group, 0) == 0:
            return (f"no {_words(group)} under {_rule_words(response_rule)}: {sizes.get(RESPONDERS, 0)} responders, "
                    f"{sizes.get(NON_RESPONDERS, 0)} non-responders, {not_evaluable} not evaluable (NE)")
    return None


def _cross_sectional(metadata: pd.DataFrame, visit: str, *, covariates: Sequence[str], absent: str | None
                     ) -> tuple[DesignFit | None, str | None]:
    subset = metadata[(metadata["timepoint"] == visit) & metadata["group"].notna()]
    name = f"response_{visit}"
    if absent:
        return None, absent
    sizes = subset["group"].value_counts()
    if min(sizes.get(RESPONDERS, 0), sizes.get(NON_RESPONDERS, 0)) < MIN_PER_GROUP:
        return None, (f"fewer than {MIN_PER_GROUP} samples in a group at {visit} "
                      f"({sizes.get(RESPONDERS, 0)} responders, {sizes.get(NON_RESPONDERS, 0)} non-responders)")
    used = [column for column in covariates if subset[column].nunique(dropna=False) > 1]
    for column in set(covariates) - set(used):
        log.info("%s: covariate %s has one value in this subset and is left out", name, column)
    parts = [pd.DataFrame({"Intercept": 1.0}, index=subset.index)]
    for column in used:
        values = subset[column]
        if pd.api.types.is_numeric_dtype(values):
            # Centred so the intercept stays interpretable; DESeq2 recommends scaling continuous covariates.
            parts.append(pd.DataFrame({column: (values - values.mean()) / (values.std() or 1.0)}))
        else:
            parts.append(_dummies(values.astype(str), name=column))
    group_column = f"group_{RESPONDERS}"
    parts.append(pd.DataFrame({group_column: (subset["group"] == RESPONDERS).astype(float)}))
    design = pd.concat(parts, axis=1).set_axis(subset["sample"].tolist())
    # Only the user's covariates can make this design rank deficient (both groups have samples here).
    explain_rank_deficiency(design, subset[[*used, "group"]].rename(columns={"group": "response"}),
                            context=f"contrast {name}")
    formula = "~ " + " + ".join([*used, "group"])
    contrast = Contrast(name, {group_column: 1.0}, f"responders vs non-responders at {visit}")
    return DesignFit(f"cross_sectional_{visit}", formula, design, [contrast]), None


def _nested(metadata: pd.DataFrame, visits: Sequence[str], *, absent: str | None
            ) -> tuple[DesignFit | None, list[tuple[str, str]], list[str]]:
    """DESeq2's nested design over all visits; returns the fit, skipped contrasts with reasons, dropped patients.

    With one response group only, its within-group time contrasts are still fitted (without a group column,
    which would be constant).
    """
    lrt = LRT_NAME
    baseline, later = visits[0], list(visits[1:])
    grouped = metadata[metadata["group"].notna()]
    if grouped.empty:
        return None, [*((f"time_{visit}_{group}", absent) for visit in later for group in GROUPS),
                      *((f"interaction_{visit}", absent) for visit in later), (lrt, absent)], []
    visits_per_patient = grouped.groupby("patient")["timepoint"].nunique()
    dropped = sorted(visits_per_patient.index[visits_per_patient < 2])
    subset = grouped[~grouped["patient"].isin(dropped)]
    present = [group for group in GROUPS if (subset["group"] == group).any()]
    skipped = []
    parts = [pd.DataFrame({"Intercept": 1.0}, index=subset.index)]
    if len(present) == 2:
        parts.append(pd.DataFrame({f"group_{RESPONDERS}": (subset["group"] == RESPONDERS).astype(float)}))
    for group in present:
        patients = sorted(subset.loc[subset["group"] == group, "patient"].unique())
        # The group's first patient is the reference level of group:patient, as in model.matrix.
        parts.append(pd.DataFrame({f"{group}:patient_{patient}": ((subset["group"] == group) &
                                                                  (subset["patient"] == patient)).astype(float)
                                   for patient in patients[1:]}, index=subset.index))
    contrasts, time_columns, why_not = [], {}, {}
    for visit in later:
        for group in GROUPS:
            in_group = subset[subset["group"] == group]
            at_visit = in_group[in_group["timepoint"] == visit]
            name = f"time_{visit}_{group}"
            if absent and group not in set(grouped["group"]):
                why_not[(group, visit)] = absent
            elif at_visit["patient"].nunique() < MIN_PER_GROUP:
                why_not[(group, visit)] = (f"fewer than {MIN_PER_GROUP} {_words(group)} patients with {visit} and "
                                           f"another visit ({at_visit['patient'].nunique()})")
            elif not (in_group["timepoint"] == baseline).any():
                why_not[(group, visit)] = f"none of the {_words(group)} with another visit has a {baseline} sample"
            if (group, visit) in why_not:
                skipped.append((name, why_not[(group, visit)]))
                continue
            column = f"{group}:{visit}"
            time_columns[(group, visit)] = column
            parts.append(pd.DataFrame({column: ((subset["group"] == group) &
                                                (subset["timepoint"] == visit)).astype(float)}))
            contrasts.append(Contrast(name, {column: 1.0}, f"{visit} vs {baseline} in {_words(group)}, "
                                                           "paired by patient"))
        if (RESPONDERS, visit) in time_columns and (NON_RESPONDERS, visit) in time_columns:
            contrasts.append(Contrast(f"interaction_{visit}",
                                      {time_columns[(RESPONDERS, visit)]: 1.0,
                                       time_columns[(NON_RESPONDERS, visit)]: -1.0},
                                      f"change {baseline} -> {visit} in responders minus in non-responders"))
        else:
            missing = "; ".join(f"{_words(group)}: {why_not[(group, visit)]}" for group in GROUPS
                                if (group, visit) in why_not)
            skipped.append((f"interaction_{visit}", absent or f"needs the {visit} change in both groups ({missing})"))
    both = [visit for visit in later if (RESPONDERS, visit) in time_columns and (NON_RESPONDERS, visit) in
            time_columns]
    if not both:
        skipped.append((lrt, absent or f"needs a visit after {baseline} with the change estimable in both response "
                                       "groups; no visit has it (see the interaction contrasts)"))
    if not contrasts:
        return None, skipped, dropped
    design = pd.concat(parts, axis=1).set_axis(subset["sample"].tolist())
    design = design.loc[:, design.abs().sum(axis=0) > 0]  # all-zero columns when visits are missing
    dependent = dependent_columns(design)
    if dependent:
        # No user covariate enters this design: a rank deficiency here comes from the cohort's visit pattern.
        reason = (f"the patients' visits do not separate the change from {baseline} from the patient effects "
                  f"(design columns {', '.join(dependent)} are combinations of the others)")
        return None, [*((c.name, reason) for c in contrasts), *([(lrt, reason)] if both else []),
                      *skipped], dropped
    reduced, lrt_name = None, None
    if both:
        # Reduced model: one time course shared by both groups; the LRT asks whether trajectories differ.
        kept = [column for column in design.columns if column not in {time_columns[(g, v)] for g in GROUPS
                                                                      for v in both}]
        shared = pd.DataFrame({f"time:{visit}": (subset["timepoint"] == visit).astype(float).to_numpy()
                               for visit in both}, index=design.index)
        reduced = pd.concat([design[kept], shared], axis=1)
        lrt_name = lrt
    formula = "~ group + group:patient + group:timepoint" if len(present) == 2 else \
        "~ patient + timepoint (one response group)"
    return DesignFit("longitudinal", formula, design, contrasts, reduced, lrt_name), skipped, dropped


def plan_contrasts(metadata: pd.DataFrame, *, covariates: Sequence[str] = ("arm",),
                   response_rule: ResponseRule | None = None) -> ContrastPlan:
    """All designs and contrasts the metadata supports, and every other contrast with why it cannot be estimated.

    Only a covariate the user chose that is confounded with response raises; a cohort that cannot support a
    contrast (no patient with a response group, one group only, too few samples, a single visit) records it as
    skipped with the reason, and everything that can be estimated still is.

    Parameters
    ----------
    metadata
        Per-sample table (:func:`trialrna.cohort.read_sample_metadata`): ``sample``, ``patient``,
        ordered categorical ``timepoint``, ``group`` (missing for NE) and the covariate columns.
    covariates
        Patient- or sample-level columns adjusted for in the cross-sectional contrasts.
    response_rule
        The configured response rule, named in the reasons (``orr`` or ``cbr``).

    Returns
    -------
    The fits, the skipped contrasts with reasons, and the patients dropped from paired contrasts.
    """
    require_columns(metadata.columns, covariates, what="de.covariates: sample and clinical sheet column(s)",
                    fix="Name columns of either sheet.")
    visits = list(metadata["timepoint"].cat.categories)
    absent = missing_group_reason(metadata, response_rule=response_rule)
    fits, skipped = [], []
    for visit in visits:
        fit, reason = _cross_sectional(metadata, visit, covariates=covariates, absent=absent)
        if fit:
            fits.append(fit)
        else:
            skipped.append((f"response_{visit}", reason))
    dropped: list[str] = []
    if len(visits) > 1:
        fit, reasons, dropped = _nested(metadata, visits, absent=absent)
        skipped.extend(reasons)
        if fit:
            fits.append(fit)
    else:
        single = f"a single visit ({visits[0]}) in the sample sheet: no change over time can be estimated"
        skipped += [("time_*", single), ("interaction_*", single), (LRT_NAME, single)]
    for name, reason in skipped:
        log.warning("skipped %s: %s", name, reason)
    if dropped:
        log.info("%d patient(s) with a single visit dropped from paired contrasts: %s", len(dropped),
                 ", ".join(dropped))
    return ContrastPlan(fits, skipped, dropped)


def scope_plans(metadata: pd.DataFrame, *, covariates: Sequence[str], per_arm: bool,
                response_rule: ResponseRule | None = None) -> dict[str, ContrastPlan]:
    """Plans for the whole cohort (prefix ``""``) and, with ``per_arm``, each arm (prefix ``arm_{arm}/``).

    Within an arm, the arm covariate is constant and left out. ``response_rule`` is named in the reasons of
    skipped contrasts.
    """
    scopes = [""] + ([f"{arm_scope(arm)}/" for arm in sorted(metadata["arm"].dropna().unique())] if per_arm else [])
    plans = {}
    for scope in scopes:
        subset, used = scope_metadata(metadata, scope, covariates=covariates)
        plans[scope] = plan_contrasts(subset, covariates=used, response_rule=response_rule)
    return plans


def scope_metadata(metadata: pd.DataFrame, scope: str, *, covariates: Sequence[str]
                   ) -> tuple[pd.DataFrame, list[str]]:
    """The samples of a scope (``""`` or ``arm_{arm}/``) and its covariates (an arm's own arm is constant)."""
    if not scope:
        return metadata, list(covariates)
    arm = scope.rstrip("/").removeprefix(arm_scope(""))
    return metadata[metadata["arm"] == arm].reset_index(drop=True), [c for c in covariates if c != "arm"]


def plan_table(plans: dict[str, ContrastPlan]) -> pd.DataFrame:
    """One row per contrast (tested or skipped): scope, contrast, fit, formula, samples, status, reason."""
    rows = []
    for scope, plan in plans.items():
        label = scope.rstrip("/") or WHOLE_COHORT
        for fit in plan.fits:
            for contrast in fit.contrasts:
                rows.append((label, contrast.name, fit.name, fit.formula, len(fit.design), "tested",
                             contrast.description))
            if fit.lrt_name:
                rows.append((label, fit.lrt_name, fit.name, f"{fit.formula} vs ~ group + group:patient + "
                             "timepoint", len(fit.design), "tested",
                             "likelihood-ratio test: do trajectories over visits differ by response?"))
        for name, reason in plan.skipped:
            rows.append((label, name, "", "", 0, "skipped", reason))
        if plan.dropped_patients:
            rows.append((label, "(paired contrasts)", "longitudinal", "", 0, "note",
                         f"{len(plan.dropped_patients)} patient(s) with a single visit dropped: "
                         + ", ".join(plan.dropped_patients)))
    return pd.DataFrame(rows, columns=["scope", "contrast", "fit", "design", "n_samples", "status", "description"])


def find_contrast(plans: dict[str, ContrastPlan], path: str) -> tuple[DesignFit, Contrast | None]:
    """The fit and contrast behind a result path such as ``arm_x/interaction_end_of_treatment``.

    For a likelihood-ratio test path the contrast is ``None`` (it tests a reduced design, not one contrast).
    """
    scope, _, name = path.rpartition("/")
    plan = plans[f"{scope}/" if scope else ""]
    for fit in plan.fits:
        if fit.lrt_name == name:
            return fit, None
        for contrast in fit.contrasts:
            if contrast.name == name:
                return fit, contrast
    raise KeyError(f"no tested contrast {path!r}")


def _frame(table: pd.DataFrame | None) -> dict | None:
    return None if table is None else {"index": list(table.index), "columns": list(table.columns),
                                       "data": table.to_numpy(float).tolist()}


def _unframe(data: dict | None) -> pd.DataFrame | None:
    return None if data is None else pd.DataFrame(data["data"], index=data["index"], columns=data["columns"])


def write_plans(plans: dict[str, ContrastPlan], path: str | Path) -> None:
    """Write the plans as JSON (design matrices included), so every job reads one plan instead of re-planning."""
    document = {scope: {"fits": [{"name": fit.name, "formula": fit.formula, "design": _frame(fit.design),
                                  "contrasts": [[c.name, c.weights, c.description] for c in fit.contrasts],
                                  "reduced": _frame(fit.reduced), "lrt_name": fit.lrt_name} for fit in plan.fits],
                        "skipped": plan.skipped, "dropped_patients": plan.dropped_patients}
                for scope, plan in plans.items()}
    Path(path).write_text(json.dumps(document, indent=1))


def read_plans(path: str | Path) -> dict[str, ContrastPlan]:
    """Read what :func:`write_plans` wrote."""
    document = json.loads(Path(path).read_text())
    return {scope: ContrastPlan([DesignFit(fit["name"], fit["formula"], _unframe(fit["design"]),
                                           [Contrast(*contrast) for contrast in fit["contrasts"]],
                                           _unframe(fit["reduced"]), fit["lrt_name"]) for fit in plan["fits"]],
                                [tuple(row) for row in plan["skipped"]], plan["dropped_patients"])
            for scope, plan in document.items()}
