"""Safety table of a trial publication: patients with treatment-related adverse events (CTCAE v5) by arm."""

from __future__ import annotations

import pandas as pd


def safety_summary(events: pd.DataFrame, clinical: pd.DataFrame) -> pd.DataFrame:
    """Per arm: patients, with any AE, any treatment-related AE (TRAE) and grade >= 3 TRAE, as n and percent."""
    rows = []
    related = events[events["related"] == 1]
    for arm, patients in sorted(clinical.groupby("arm")["patient"]):
        n = len(patients)
        for label, subset in (("any adverse event", events), ("any treatment-related AE", related),
                              ("grade >= 3 treatment-related AE", related[related["grade"] >= 3]),
                              ("grade 5 treatment-related AE", related[related["grade"] == 5])):
            count = int(subset["patient"].isin(patients).groupby(subset["patient"]).any().sum())
            rows.append((arm, label, n, count, count / n if n else float("nan")))
    return pd.DataFrame(rows, columns=["arm", "category", "patients", "with_event", "fraction"])


def common_terms(events: pd.DataFrame, clinical: pd.DataFrame, *, top: int = 15) -> pd.DataFrame:
    """Most common TRAE terms: patients per arm with any grade and with grade >= 3 (worst grade per patient)."""
    related = events[events["related"] == 1].merge(clinical[["patient", "arm"]], on="patient")
    worst = related.groupby(["term", "arm", "patient"])["grade"].max().reset_index()
    sizes = clinical["arm"].value_counts()
    table = (worst.assign(severe=worst["grade"] >= 3)
             .groupby(["term", "arm"]).agg(any_grade=("patient", "nunique"), grade_3_plus=("severe", "sum"))
             .unstack("arm", fill_value=0))
    table.columns = [f"{arm}_{measure}" for measure, arm in table.columns]
    for arm in sizes.index:
        for measure in ("any_grade", "grade_3_plus"):
            column = f"{arm}_{measure}"
            if column not in table:
                table[column] = 0
            table[f"{column}_pct"] = 100 * table[column] / sizes[arm]
    total = table[[f"{arm}_any_grade" for arm in sizes.index]].sum(axis=1)
    ordered = table.loc[total.sort_values(ascending=False, kind="stable").index].head(top)
    columns = [f"{arm}_{measure}{suffix}" for arm in sorted(sizes.index) for measure in ("any_grade", "grade_3_plus")
               for suffix in ("", "_pct")]
    return ordered[columns].reset_index()
