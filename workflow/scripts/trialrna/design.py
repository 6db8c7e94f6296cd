"""Responder grouping and the per-sample metadata table that every analysis reads."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from trialrna.vocabulary import GROUPS, NOT_EVALUABLE, RESPONDER_CODES, ResponseRule


def response_group(best_response: pd.Series, *, rule: ResponseRule = "orr") -> pd.Series:
    """Map RECIST best overall response to ``responders`` / ``non_responders``.

    Parameters
    ----------
    best_response
        Codes CR, PR, SD, PD or NE.
    rule
        ``orr``: CR/PR vs SD/PD (default). ``cbr``: CR/PR/SD vs PD.

    Returns
    -------
    Categorical series; NE (not evaluable) patients are missing, so they drop out of responder contrasts.
    """
    if rule not in RESPONDER_CODES:
        raise ValueError(f"response rule {rule!r} is not one of {', '.join(RESPONDER_CODES)}")
    group = best_response.map(lambda code: GROUPS[0] if code in RESPONDER_CODES[rule] else GROUPS[1])
    group = group.where(best_response != NOT_EVALUABLE)
    return pd.Series(pd.Categorical(group, categories=GROUPS), index=best_response.index, name="group")


def sample_metadata(samples: pd.DataFrame, clinical: pd.DataFrame, *, rule: ResponseRule,
                    timepoints: Sequence[str]) -> pd.DataFrame:
    """Join sample and clinical sheets into one row per sample with its response group.

    ``timepoint`` is an ordered categorical over the configured visits that occur, baseline first.
    """
    clinical = clinical.assign(group=response_group(clinical["best_response"], rule=rule))
    table = samples.merge(clinical, on="patient", how="left", validate="many_to_one", suffixes=("", "_clinical"))
    present = [visit for visit in timepoints if visit in set(table["timepoint"])]
    table["timepoint"] = pd.Categorical(table["timepoint"], categories=present, ordered=True)
    return table
