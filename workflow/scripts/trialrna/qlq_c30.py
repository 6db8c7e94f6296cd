"""EORTC QLQ-C30 (version 3.0) scoring by the EORTC scoring manual, and change from baseline by arm and visit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.plots import plt, save

#: Scale -> (kind, items, range). Functional scales are reversed so that a higher score is better function;
#: symptom scales and global health status rise with the symptom or with health.
SCALES: dict[str, tuple[str, tuple[int, ...], int]] = {
    "QL2": ("global", (29, 30), 6),
    "PF2": ("functional", (1, 2, 3, 4, 5), 3),
    "RF2": ("functional", (6, 7), 3),
    "EF": ("functional", (21, 22, 23, 24), 3),
    "CF": ("functional", (20, 25), 3),
    "SF": ("functional", (26, 27), 3),
    "FA": ("symptom", (10, 12, 18), 3),
    "NV": ("symptom", (14, 15), 3),
    "PA": ("symptom", (9, 19), 3),
    "DY": ("symptom", (8,), 3),
    "SL": ("symptom", (11,), 3),
    "AP": ("symptom", (13,), 3),
    "CO": ("symptom", (16,), 3),
    "DI": ("symptom", (17,), 3),
    "FI": ("symptom", (28,), 3),
}
SCALE_NAMES = {"QL2": "global health status", "PF2": "physical functioning", "RF2": "role functioning",
               "EF": "emotional functioning", "CF": "cognitive functioning", "SF": "social functioning",
               "FA": "fatigue", "NV": "nausea and vomiting", "PA": "pain", "DY": "dyspnoea", "SL": "insomnia",
               "AP": "appetite loss", "CO": "constipation", "DI": "diarrhoea", "FI": "financial difficulties"}


def score_qlq_c30(answers: pd.DataFrame) -> pd.DataFrame:
    """Scale scores (0-100) per questionnaire.

    Raw score = mean of the answered items; a scale is scored when at least half of its items are answered
    (so single items must be answered). Functional: ``(1 - (RS - 1) / range) * 100``; symptom and global health:
    ``(RS - 1) / range * 100``.

    Parameters
    ----------
    answers
        ``patient, visit, q1 ... q30`` (missing answers empty).
    """
    scores = answers[["patient", "visit"]].copy()
    for scale, (kind, items, item_range) in SCALES.items():
        block = answers[[f"q{item}" for item in items]].astype(float)
        raw = block.mean(axis=1, skipna=True)
        raw[block.notna().sum(axis=1) < len(items) / 2] = np.nan
        scaled = (raw - 1) / item_range * 100
        scores[scale] = 100 - scaled if kind == "functional" else scaled
    return scores


def change_from_baseline(scores: pd.DataFrame, arms: pd.DataFrame, *, visits: Sequence[str]) -> pd.DataFrame:
    """Mean change from baseline per arm, visit and scale, with n, SD and a normal-approximation 95 % CI."""
    baseline = scores[scores["visit"] == visits[0]].set_index("patient")
    rows = []
    for visit in visits[1:]:
        later = scores[scores["visit"] == visit].set_index("patient")
        paired = later.index.intersection(baseline.index)
        for scale in SCALES:
            change = (later.loc[paired, scale] - baseline.loc[paired, scale]).rename("change").to_frame()
            change = change.join(arms.set_index("patient")["arm"]).dropna()
            for arm, values in change.groupby("arm"):
                n, mean, sd = len(values), values["change"].mean(), values["change"].std()
                half = 1.96 * sd / np.sqrt(n) if n > 1 else np.nan
                rows.append((scale, SCALE_NAMES[scale], arm, visit, n, mean, sd, mean - half, mean + half))
    return pd.DataFrame(rows, columns=["scale", "scale_name", "arm", "visit", "n", "mean_change", "sd", "ci_low",
                                       "ci_high"])


def plot_change(change: pd.DataFrame, path: str | Path, *, scales: Sequence[str] = ("QL2", "PF2", "FA", "PA")
                ) -> None:
    """Mean change from baseline (95 % CI) over visits, per arm, for the key scales."""
    fig, axes = plt.subplots(1, len(scales), figsize=(4.2 * len(scales), 4), sharey=True)
    for axis, scale in zip(np.atleast_1d(axes), scales, strict=True):
        subset = change[change["scale"] == scale]
        for arm, values in subset.groupby("arm"):
            axis.errorbar(values["visit"], values["mean_change"],
                          yerr=[values["mean_change"] - values["ci_low"], values["ci_high"] - values["mean_change"]],
                          marker="o", capsize=3, label=arm)
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_title(SCALE_NAMES[scale], fontsize=10)
        axis.tick_params(axis="x", labelrotation=20)
    np.atleast_1d(axes)[0].set_ylabel("mean change from baseline (points)")
    np.atleast_1d(axes)[-1].legend(fontsize=8)
    save(fig, path)
