"""The two DE routes behind one interface: DESeq2's nested fixed-effects fits (the default) and the mixed model.

``de.method`` picks the route whose tables are ``results/de`` and feed enrichment, networks and the report; the
other route runs on the whole cohort as a robustness check (:mod:`trialrna.robustness`). Both give the same
contrast names and columns; only DESeq2 has the likelihood-ratio test (and so ``padj_stagewise``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from trialrna.contrasts import ContrastPlan, scope_metadata
from trialrna.de import run_fit, write_results
from trialrna.mixed import run_mixed
from trialrna.vocabulary import ResponseRule, Route


def route_tables(counts: pd.DataFrame, metadata: pd.DataFrame, plan: ContrastPlan, *, route: Route, scope: str,
                 genes: pd.DataFrame, covariates: Sequence[str], alpha: float, n_cpus: int, min_count: int,
                 min_samples: int, fit_name: str | None = None, response_rule: ResponseRule | None = None
                 ) -> dict[str, pd.DataFrame]:
    """Result tables of one route on one scope (``""`` or ``arm_{arm}/``), in the order of
    :meth:`ContrastPlan.route_result_names`.

    DESeq2 fits the plan's fit ``fit_name`` (every fit when None); the mixed model fits the scope's samples once.
    """
    options = {"genes": genes, "n_cpus": n_cpus, "min_count": min_count, "min_samples": min_samples}
    if route == "mixed":
        subset, used = scope_metadata(metadata, scope, covariates=covariates)
        return run_mixed(counts, subset, covariates=used, response_rule=response_rule, **options)
    tables: dict[str, pd.DataFrame] = {}
    for fit in plan.fits if fit_name is None else [plan.fit(fit_name)]:
        tables.update(run_fit(counts, fit, alpha=alpha, **options))
    return tables


def write_route_outputs(counts: pd.DataFrame, metadata: pd.DataFrame, plan: ContrastPlan, *, route: Route,
                        scope: str, fit_name: str, tables: Sequence[str | Path], figures: Sequence[str | Path],
                        lfc_threshold: float, **options) -> None:
    """One DE job: :func:`route_tables` (``options`` as there), then each table and its figures."""
    results = route_tables(counts, metadata, plan, route=route, scope=scope, fit_name=fit_name, **options)
    write_results(results, tables=tables, figures=figures, scope=scope, alpha=options["alpha"],
                  lfc_threshold=lfc_threshold)
