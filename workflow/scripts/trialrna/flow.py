"""Sample flow (CONSORT-like): from enrolled patients to the samples each analysis used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialrna.contrasts import ContrastPlan
from trialrna.plots import plt, save


def sample_flow(clinical: pd.DataFrame, metadata: pd.DataFrame, plan: ContrastPlan) -> pd.DataFrame:
    """Patients and samples per arm at each step: randomised (or enrolled, in a single-arm study), sequenced, per
    visit, excluded, analysed.

    Parameters
    ----------
    clinical
        The clinical sheet (every enrolled patient).
    metadata
        Per-sample table with ``group`` (missing for NE).
    plan
        The whole-cohort contrast plan (which patients the paired contrasts dropped).
    """
    rows = []
    longitudinal = next((fit for fit in plan.fits if fit.name == "longitudinal"), None)
    used = set(longitudinal.design.index) if longitudinal is not None else set()
    arms = sorted(clinical["arm"].unique())
    entry = "randomised" if len(arms) > 1 else "enrolled (single-arm study)"
    for arm in arms:
        patients = clinical[clinical["arm"] == arm]
        samples = metadata[metadata["arm"] == arm]
        rows.append((arm, entry, len(patients), 0))
        rows.append((arm, "with RNA-seq", samples["patient"].nunique(), len(samples)))
        for visit in metadata["timepoint"].cat.categories:
            at_visit = samples[samples["timepoint"] == visit]
            rows.append((arm, f"sampled at {visit}", at_visit["patient"].nunique(), len(at_visit)))
        not_evaluable = samples[samples["group"].isna()]
        rows.append((arm, "excluded: response not evaluable (NE)", not_evaluable["patient"].nunique(),
                     len(not_evaluable)))
        single = samples[samples["patient"].isin(plan.dropped_patients)]
        rows.append((arm, "excluded from paired contrasts: single visit", single["patient"].nunique(), len(single)))
        grouped = samples[samples["group"].notna()]
        rows.append((arm, "analysed: response contrasts", grouped["patient"].nunique(), len(grouped)))
        paired = samples[samples["sample"].isin(used)]
        rows.append((arm, "analysed: paired and interaction contrasts", paired["patient"].nunique(), len(paired)))
    return pd.DataFrame(rows, columns=["arm", "step", "patients", "samples"])


def plot_sample_flow(flow: pd.DataFrame, path: str | Path) -> None:
    """Boxes per arm, one per step, as in a CONSORT diagram."""
    arms = list(dict.fromkeys(flow["arm"]))
    steps = list(dict.fromkeys(flow["step"]))
    fig, axis = plt.subplots(figsize=(4.6 * len(arms), 0.72 * len(steps) + 0.8))
    axis.set_xlim(0, len(arms))
    axis.set_ylim(len(steps), -0.8)
    axis.axis("off")
    for column, arm in enumerate(arms):
        axis.text(column + 0.5, -0.5, arm, ha="center", va="center", fontsize=11, weight="bold")
        for row, step in enumerate(steps):
            entry = flow[(flow["arm"] == arm) & (flow["step"] == step)].iloc[0]
            excluded = step.startswith("excluded")
            text = f"{step}\n{entry['patients']} patients" + (f", {entry['samples']} samples" if entry["samples"]
                                                                else "")
            axis.text(column + (0.62 if excluded else 0.45), row + 0.35, text, ha="center", va="center",
                      fontsize=8, bbox={"boxstyle": "round", "facecolor": "#fdebd0" if excluded else "#eaf2f8",
                                        "edgecolor": "#7f8c8d"})
    save(fig, path)
