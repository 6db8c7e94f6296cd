"""DE on generator cohorts: planted biology recovered, bad input stopped with a clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialrna.contrasts import plan_contrasts
from trialrna.de import filter_expressed, likelihood_ratio_test, run_fit
from trialrna.de_plots import summarise, summarise_files
from trialrna.demo import program_names
from trialrna.errors import InputError
from trialrna.tables import read_result_table, write_result_table


def test_planted_genes_rank_at_the_top_of_the_interaction_contrast(planted_cohort, longitudinal_tables):
    _, _, truth, _ = planted_cohort
    table = longitudinal_tables["interaction_end_of_treatment"].dropna(subset=["pvalue"])
    planted = set(truth.loc[truth["contrast"] == "interaction_end_of_treatment", "gene_id"]) & set(table["gene_id"])
    top = table.nsmallest(25, "pvalue")
    assert top["gene_id"].isin(planted).mean() >= 0.8
    # Non-responders rise, so responders' change minus non-responders' change is negative.
    assert (top.loc[top["gene_id"].isin(planted), "log2FoldChange"] < 0).all()
    significant = table[table["padj"] < 0.05]
    assert significant["gene_id"].isin(planted).mean() >= 0.7


def test_planted_genes_rise_in_non_responders_only(planted_cohort, longitudinal_tables):
    _, _, truth, _ = planted_cohort
    resistance = truth["program"].isin(program_names("resistance"))  # composition genes rise in both groups
    planted = set(truth.loc[resistance & (truth["contrast"] == "time_end_of_treatment_non_responders"), "gene_id"])
    rising = longitudinal_tables["time_end_of_treatment_non_responders"]
    responders = longitudinal_tables["time_end_of_treatment_responders"]
    assert rising.loc[rising["gene_id"].isin(planted), "log2FoldChange"].median() > 0.5
    assert abs(responders.loc[responders["gene_id"].isin(planted), "log2FoldChange"].median()) < 0.2


def test_lrt_finds_the_diverging_trajectories(planted_cohort, longitudinal_tables):
    _, _, truth, _ = planted_cohort
    lrt = longitudinal_tables["lrt_time_by_response"].dropna(subset=["pvalue"])
    planted = set(truth.loc[truth["program"].isin(program_names("resistance")), "gene_id"])
    assert lrt.nsmallest(20, "pvalue")["gene_id"].isin(planted).mean() >= 0.8


def test_result_table_columns_and_round_trip(tmp_path, longitudinal_tables):
    table = longitudinal_tables["time_on_treatment_responders"]
    assert list(table.columns) == ["gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue",
                                   "padj", "log2FoldChange_shrunk"]
    assert table["log2FoldChange_shrunk"].notna().mean() > 0.9  # single coefficient: shrunken
    assert longitudinal_tables["interaction_on_treatment"]["log2FoldChange_shrunk"].notna().mean() > 0.9
    write_result_table(table, tmp_path / "t.tsv")
    again = read_result_table(tmp_path / "t.tsv")
    assert set(again["gene_id"]) == set(table["gene_id"]) and again["pvalue"].is_monotonic_increasing


def test_results_are_deterministic(planted_cohort):
    counts, genes, _, metadata = planted_cohort
    fit = plan_contrasts(metadata, covariates=["arm"]).fit("cross_sectional_baseline")
    first = run_fit(counts, fit, genes=genes, alpha=0.05, n_cpus=2, min_count=10, min_samples=3)
    second = run_fit(counts, fit, genes=genes, alpha=0.05, n_cpus=1, min_count=10, min_samples=3)
    pd.testing.assert_frame_equal(first["response_baseline"], second["response_baseline"])


def test_no_gene_passing_the_expression_filter():
    counts = pd.DataFrame(np.ones((5, 4), dtype=int), index=[f"G{i}" for i in range(5)], columns=list("ABCD"))
    with pytest.raises(InputError, match="design x: no gene has >= 10 counts in >= 3 samples; lower de.min_count"):
        filter_expressed(counts, min_count=10, min_samples=3, context="design x")


def test_lrt_needs_a_smaller_reduced_design(planted_cohort):
    counts, genes, _, metadata = planted_cohort
    fit = plan_contrasts(metadata, covariates=[]).fit("cross_sectional_baseline")
    from trialrna.de import fit_design
    dds = fit_design(filter_expressed(counts[fit.design.index], min_count=10, min_samples=3, context="x").head(50),
                     fit.design, n_cpus=1)
    with pytest.raises(ValueError, match="fewer columns"):
        likelihood_ratio_test(dds, fit.design, genes=genes, alpha=0.05, n_cpus=1)


def test_summary_counts_up_and_down():
    table = pd.DataFrame({"log2FoldChange": [2.0, -1.0, 0.1, 3.0], "padj": [0.01, 0.02, 0.01, 0.5]})
    summary = summarise({"c": table}, alpha=0.05, lfc_threshold=0.5)
    assert summary.to_dict("records") == [{"contrast": "c", "genes_tested": 4, "genes_with_padj": 4, "up": 1,
                                           "down": 1}]


def test_summary_of_a_cohort_without_any_tested_contrast_is_an_empty_table_with_its_header():
    """All patients NE or too few samples: no DE table at all; the summary is still written, with its columns."""
    summary = summarise_files([], alpha=0.05, lfc_threshold=0.0)
    assert summary.empty
    assert list(summary.columns) == ["scope", "contrast", "genes_tested", "genes_with_padj", "up", "down"]
