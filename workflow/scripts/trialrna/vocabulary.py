"""The analysis's shared words, defined once: response codes and groups, endpoints, contrast names and scopes,
the key contrast, the unassigned co-expression module, and what "significant" means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

#: RECIST 1.1 best overall response codes; NE (not evaluable) is never put in a response group.
RECIST_CODES = ("CR", "PR", "SD", "PD", "NE")
NOT_EVALUABLE = "NE"
ResponseRule = Literal["orr", "cbr"]
#: Best-response codes counted as responders under each rule (orr: objective response; cbr: clinical benefit).
RESPONDER_CODES: dict[str, frozenset[str]] = {
    "orr": frozenset({"CR", "PR"}),
    "cbr": frozenset({"CR", "PR", "SD"}),
}
GROUPS = ("responders", "non_responders")
RESPONDERS, NON_RESPONDERS = GROUPS

#: Response-rate endpoints and the codes that count as a response (CBR's SD may need a minimum duration).
RATE_ENDPOINTS = {"ORR": frozenset({"CR", "PR"}), "CBR": frozenset({"CR", "PR", "SD"}),
                  "DCR": frozenset({"CR", "PR", "SD"})}
#: Survival endpoints: the clinical-sheet prefix (``{prefix}_months``, ``{prefix}_event``) and the label.
SURVIVAL_ENDPOINTS = {"pfs": "PFS", "os": "OS"}

#: Contrast families (the name's prefix); the likelihood-ratio test of the nested design has one fixed name.
FAMILIES = ("response", "time", "interaction", "lrt")
LRT_NAME = "lrt_time_by_response"
#: The whole cohort's scope; an arm's scope is ``arm_{arm}`` and prefixes its result paths (``arm_x/name``).
WHOLE_COHORT = "all"

#: The two DE routes (``de.method``): DESeq2's nested fixed-effects fits and the voom + random-intercept mixed model.
Route = Literal["deseq2", "mixed"]
ROUTES: tuple[Route, ...] = ("deseq2", "mixed")


def other_route(method: Route) -> Route:
    """The route that checks ``method``: the mixed model checks DESeq2 and DESeq2 checks the mixed model."""
    return "mixed" if method == "deseq2" else "deseq2"


#: Co-expression genes that the tree cut leaves in no module.
UNASSIGNED_MODULE = "M0"


def arm_scope(arm: str) -> str:
    """The scope of one arm's analyses, ``arm_{arm}``."""
    return f"arm_{arm}"


def split_result_path(path: str) -> tuple[str, str]:
    """``(scope, contrast)`` of a result path: ``arm_x/response_baseline`` -> ``(arm_x, response_baseline)``,
    a whole-cohort path -> ``(all, name)``."""
    scope, _, name = path.rpartition("/")
    return scope or WHOLE_COHORT, name


def parse_contrast(name: str) -> tuple[str, str | None, str | None]:
    """The family (``response``, ``time``, ``interaction``, ``lrt``), visit and group of a contrast name.

    >>> parse_contrast("time_end_of_treatment_non_responders")
    ('time', 'end_of_treatment', 'non_responders')
    """
    if name.startswith("time_"):
        rest = name.removeprefix("time_")
        group = next((g for g in (NON_RESPONDERS, RESPONDERS) if rest.endswith(f"_{g}")), None)
        return "time", rest.removesuffix(f"_{group}") if group else rest, group
    for family in ("response", "interaction"):
        if name.startswith(f"{family}_"):
            return family, name.removeprefix(f"{family}_"), None
    return "lrt", None, None


def intended_key_contrast(visits: Sequence[str]) -> str:
    """The trial's question whatever the cohort supports: the interaction at the last visit (or the baseline
    response contrast when there is a single visit)."""
    return f"interaction_{visits[-1]}" if len(visits) > 1 else f"response_{visits[0]}"


def key_contrast(names: Sequence[str], visits: Sequence[str]) -> str | None:
    """The trial's question: the interaction contrast at the last visit that has one, else the first contrast."""
    for visit in reversed(list(visits)):
        if f"interaction_{visit}" in names:
            return f"interaction_{visit}"
    return names[0] if len(names) else None


def significant(table: pd.DataFrame, *, alpha: float, lfc_threshold: float) -> tuple[pd.Series, pd.Series]:
    """Masks of the genes significantly up and down in a DE table: ``padj < alpha`` and ``|log2FC| >
    lfc_threshold``, the sign of the fold change giving the direction."""
    hit = (table["padj"] < alpha) & (table["log2FoldChange"].abs() > lfc_threshold)
    return hit & (table["log2FoldChange"] > 0), hit & (table["log2FoldChange"] < 0)
