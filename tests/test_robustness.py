"""Robustness of the findings: route agreement and hub survival on hand-made tables, the other route on a planted
cohort, and composition on a cohort that cannot test a change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialrna.contrasts import plan_contrasts
from trialrna.layout import Layout
from trialrna.robustness import hub_robustness, route_agreement, write_composition, write_other_route
from trialrna.vocabulary import other_route


def table(genes, stat, padj, lfc=None):
    lfc = stat if lfc is None else lfc
    return pd.DataFrame({"gene_id": genes, "symbol": genes, "stat": stat, "log2FoldChange": lfc, "padj": padj})


def test_route_agreement_counts_the_significant_genes_by_direction():
    genes = ["a", "b", "c", "d", "e"]
    first = table(genes, [3.0, -2.0, 1.0, 0.5, -4.0], [0.01, 0.02, 0.5, 0.9, 0.001])
    # e is significant in both but in opposite directions: not a shared finding.
    second = table(genes, [2.5, -1.0, 2.0, 0.4, 4.0], [0.02, 0.2, 0.03, 0.9, 0.001])
    agreement = route_agreement({"x": first, "lrt_time_by_response": first}, {"x": second}, alpha=0.05,
                                lfc_threshold=0.0).set_index("contrast")
    assert list(agreement.index) == ["x"]  # the LRT has no counterpart in the mixed route
    row = agreement.loc["x"]
    assert row["n_genes"] == 5
    assert row["n_significant_primary"] == 3 and row["n_significant_other"] == 3
    # shared: a up; union: a up, b down, e down, c up, e up
    assert row["n_significant_both"] == 1 and row["jaccard"] == pytest.approx(1 / 5)
    assert row["spearman_stat"] == pytest.approx(pd.Series([3, -2, 1, .5, -4]).corr(pd.Series([2.5, -1, 2, .4, 4]),
                                                                                     method="spearman"))


def test_hub_survival_needs_the_same_direction_under_every_check():
    hubs = {"k": pd.DataFrame({"gene_id": ["a", "b", "c"], "symbol": ["A", "B", "C"], "consensus_rank": [2, 1, 3],
                               "padj": [0.01, 0.01, 0.01], "log2FoldChange": [1.0, -1.0, 1.0]})}
    mixed = {"k": table(["a", "b", "c"], [2.0, 2.0, 2.0], [0.01, 0.01, 0.2])}
    adjusted = {"k": table(["a", "b"], [1.0, -1.0], [0.04, 0.04])}
    result = hub_robustness(hubs, top_n=3, checks={"mixed": mixed, "composition_adjusted": adjusted}, alpha=0.05,
                            lfc_threshold=0.0).set_index("symbol")
    assert list(result.index) == ["B", "A", "C"]  # by consensus rank
    assert result.loc["A", "survives_all"]
    assert not result.loc["B", "significant_mixed"] and not result.loc["B", "survives_all"]  # sign flipped
    assert not result.loc["C", "significant_mixed"]
    assert pd.isna(result.loc["C", "padj_composition_adjusted"])  # not tested after adjustment
    assert len(hub_robustness(hubs, top_n=2, checks={"mixed": mixed}, alpha=0.05, lfc_threshold=0.0)) == 2


def test_routes_check_each_other():
    assert other_route("deseq2") == "mixed" and other_route("mixed") == "deseq2"


def test_other_route_tables_and_agreement_on_the_planted_cohort(planted_cohort, longitudinal_tables, tmp_path):
    counts, genes, truth, metadata = planted_cohort
    plan = plan_contrasts(metadata, covariates=["arm"])
    layout = Layout(tmp_path / "results")
    primary = []
    for name, result in longitudinal_tables.items():
        path = layout.file("de_table", path=name)
        (tmp_path / "results/de").mkdir(parents=True, exist_ok=True)
        result.to_csv(path, sep="\t", index=False)
        primary.append(path)
    names = plan.route_result_names("mixed")
    assert "lrt_time_by_response" not in names and "interaction_end_of_treatment" in names
    outputs = [layout.file("route_table", route="mixed", path=name) for name in names]
    (tmp_path / "results/robustness/mixed").mkdir(parents=True)
    write_other_route(counts, metadata, plan, route="mixed", primary_route="deseq2", primary=primary, tables=outputs,
                      agreement=tmp_path / "agreement.tsv", figure=tmp_path / "agreement.png", alpha=0.05,
                      lfc_threshold=0.0, layout=layout, genes=genes, covariates=["arm"], response_rule="orr",
                      n_cpus=2, min_count=10, min_samples=3)
    agreement = pd.read_csv(tmp_path / "agreement.tsv", sep="\t").set_index("contrast")
    assert set(agreement.index) == set(longitudinal_tables) - {"lrt_time_by_response"}
    # On the planted resistance programme the two routes agree closely on the key contrast.
    key = agreement.loc["interaction_end_of_treatment"]
    assert key["spearman_stat"] > 0.95 and key["jaccard"] > 0.6
    assert (tmp_path / "agreement.png").stat().st_size > 10_000


def test_composition_of_a_single_visit_cohort_says_why_nothing_was_tested(planted_cohort, tmp_path):
    from pathlib import Path

    counts, genes, _, metadata = planted_cohort
    baseline = metadata[metadata["timepoint"] == "baseline"].copy()
    baseline["timepoint"] = pd.Categorical(baseline["timepoint"].astype(str), categories=["baseline"], ordered=True)
    manifest = Path(__file__).resolve().parents[1] / "resources/cell_types/MANIFEST.tsv"
    write_composition(counts[baseline["sample"]], genes, baseline, signature_manifest=manifest,
                      composition=tmp_path / "c.tsv", change=tmp_path / "change.tsv", figure=tmp_path / "c.png",
                      change_method="mixedlm", marker_fold=3.0)
    change = pd.read_csv(tmp_path / "change.tsv", sep="\t")
    assert change["note"].str.contains("single visit").all()
    scores = pd.read_csv(tmp_path / "c.tsv", sep="\t")
    assert np.isfinite(scores.loc[scores["cell_type"] == "Neutrophils", "score"]).all()
