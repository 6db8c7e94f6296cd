"""The demo cohort generator: deterministic, shaped like the trial, planted truth consistent with the counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from trialrna.demo import (
    PLANTED_PROGRAMS,
    demo_genes,
    planted_symbols,
    simulate_clinical,
    simulate_counts,
    simulate_extra_clinical,
)

ROOT = Path(__file__).resolve().parents[1]


def test_committed_demo_sheets_match_the_generator():
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    samples, clinical = simulate_clinical(n_patients=60, seed=config["seed"], timepoints=config["timepoints"])
    committed_samples = pd.read_csv(ROOT / config["samples"], sep="\t")
    committed_clinical = pd.read_csv(ROOT / config["clinical"]["sheet"], sep="\t")
    adverse_events, qlq_c30, biomarkers = simulate_extra_clinical(clinical, samples, seed=config["seed"])
    pd.testing.assert_frame_equal(committed_samples, samples, check_dtype=False)
    pd.testing.assert_frame_equal(committed_clinical, clinical.merge(biomarkers, on="patient"), check_dtype=False)
    committed_events = pd.read_csv(ROOT / config["clinical"]["adverse_events"], sep="\t")
    pd.testing.assert_frame_equal(committed_events, adverse_events, check_dtype=False)
    committed_qlq = pd.read_csv(ROOT / config["clinical"]["qlq_c30"], sep="\t", dtype={"patient": str})
    pd.testing.assert_frame_equal(committed_qlq, qlq_c30, check_dtype=False)


def test_demo_cohort_looks_like_the_trial():
    samples, clinical = simulate_clinical(n_patients=60, seed=20261121)
    assert clinical["arm"].value_counts().tolist() == [30, 30]
    assert set(clinical["best_response"]) == {"CR", "PR", "SD", "PD", "NE"}
    assert 0 < clinical["pfs_event"].mean() < 1 and 0 < clinical["os_event"].mean() < 1  # censoring
    assert (clinical["os_months"] >= clinical["pfs_months"]).all()
    visits = samples.groupby("patient").size()
    assert (visits < 3).any() and (visits == 3).sum() > 40  # a few missed visits
    assert set(samples.loc[samples["timepoint"] == "baseline", "patient"]) == set(clinical["patient"])


def test_counts_are_deterministic_and_realistic(annotation):
    samples, clinical = simulate_clinical(n_patients=10, seed=3)
    genes = demo_genes(annotation, n_genes=2000, seed=3)
    first, truth = simulate_counts(samples, clinical, genes=genes, seed=3)
    second, _ = simulate_counts(samples, clinical, genes=genes, seed=3)
    pd.testing.assert_frame_equal(first, second)
    library = first.sum(axis=0)
    assert library.min() > 5e6 and library.max() < 1e8
    mean = first.mean(axis=1)
    assert 0.5 < (mean >= 10).mean() < 0.85  # many genes barely detected, as in blood
    variance = first.var(axis=1)
    expressed = mean > 100
    assert (variance[expressed] > mean[expressed]).mean() > 0.95  # overdispersed
    assert set(truth["symbol"]) == set(planted_symbols())


def test_demo_genes_are_real_symbols_with_planted_first(annotation):
    genes = demo_genes(annotation, n_genes=20000, seed=1)
    assert len(genes) == 20000 and genes["gene_id"].is_unique and genes["symbol"].is_unique
    assert set(planted_symbols()) <= set(genes["symbol"])
    assert (genes["gene_type"] == "protein-coding").mean() > 0.95


def test_planted_resistance_genes_rise_in_non_responders_on_bevacizumab(annotation):
    samples, clinical = simulate_clinical(n_patients=60, seed=5)
    genes = demo_genes(annotation, n_genes=1000, seed=5)
    counts, truth = simulate_counts(samples, clinical, genes=genes, seed=5)
    cpm = counts / counts.sum(axis=0) * 1e6
    meta = samples.merge(clinical, on="patient").set_index("sample")
    planted = genes.set_index("symbol").loc[list(PLANTED_PROGRAMS[0].genes), "gene_id"]

    def mean_log(mask):
        return np.log2(cpm.loc[planted, mask[mask].index] + 1).mean(axis=1).mean()

    bev_nr = meta["arm"].eq("eribulin_bevacizumab") & meta["best_response"].isin(["SD", "PD"])
    responders = meta["best_response"].isin(["CR", "PR"])
    rise_nr = mean_log(bev_nr & meta["timepoint"].eq("end_of_treatment")) - mean_log(
        bev_nr & meta["timepoint"].eq("baseline"))
    rise_r = mean_log(responders & meta["timepoint"].eq("end_of_treatment")) - mean_log(
        responders & meta["timepoint"].eq("baseline"))
    assert rise_nr > 1.0 and abs(rise_r) < 0.3
