"""The workflow end to end on a small simulated cohort, run from another working directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from conftest import ROOT, SNAKEMAKE, input_checksums, make_study, run_snakemake
from trialrna.demo import planted_symbols

pytestmark = pytest.mark.workflow

QC_OUTPUTS = ["results/qc/library_stats.tsv", "results/qc/library_sizes.png", "results/qc/pca.tsv",
              "results/qc/pca.png", "results/qc/sample_correlation.png", "results/qc/outliers.tsv",
              "results/clinical/response_rates.tsv", "results/clinical/survival.tsv", "results/clinical/km_pfs.png",
              "results/clinical/km_os.png", "results/clinical/sample_flow.png"]
DE_COLUMNS = ["gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj",
              "log2FoldChange_shrunk"]


def test_runs_from_another_working_directory(finished_study, small_cohort):
    for output in QC_OUTPUTS:
        assert (finished_study / output).stat().st_size > 0, output
    stats = pd.read_csv(finished_study / "results/qc/library_stats.tsv", sep="\t")
    counts = pd.read_csv(small_cohort["counts"], sep="\t", index_col=0)
    assert stats["library_size"].tolist() == counts.sum().tolist()
    genes = pd.read_csv(finished_study / "results/counts/genes.tsv", sep="\t")
    assert genes["gene_id"].str.startswith("ENSG").all()
    assert set(planted_symbols()) <= set(genes["symbol"])  # Ensembl ids mapped to symbols
    assert not (ROOT / "study").exists()  # nothing written next to the Snakefile


def test_de_outputs(finished_study):
    contrasts = pd.read_csv(finished_study / "results/de/contrasts.tsv", sep="\t")
    tested = contrasts.loc[contrasts["status"] == "tested", "contrast"]
    assert "response_baseline" in set(tested) and "lrt_time_by_response" in set(tested)
    summary = pd.read_csv(finished_study / "results/de/summary.tsv", sep="\t")
    assert set(summary["contrast"]) == set(tested)
    for name in tested:
        table = pd.read_csv(finished_study / f"results/de/{name}.tsv", sep="\t")
        # The interaction contrasts carry the stage-wise FDR screened by the likelihood-ratio test.
        stagewise = ["padj_stagewise"] if name.startswith("interaction_") else []
        assert list(table.columns) == DE_COLUMNS + stagewise
        if stagewise:
            lrt = pd.read_csv(finished_study / "results/de/lrt_time_by_response.tsv", sep="\t")
            screened = set(lrt.loc[lrt["padj"] < 0.05, "gene_id"])
            assert set(table.loc[table["padj_stagewise"].notna(), "gene_id"]) == screened & set(table["gene_id"])
        for kind in ("ma", "volcano", "pvalues"):
            assert (finished_study / f"results/de/plots/{name}.{kind}.png").stat().st_size > 0


def test_network_outputs(finished_study):
    from trialrna.hubs import METHODS

    summary = pd.read_csv(finished_study / "results/de/summary.tsv", sep="\t")
    for name in summary.loc[summary["scope"] == "all", "contrast"]:
        hubs = pd.read_csv(finished_study / f"results/network/{name}.hubs.tsv", sep="\t")
        assert {"symbol", "gene_id", "log2FoldChange", "padj", "module", "consensus_rank", "stability",
                *METHODS} <= set(hubs.columns)
        assert hubs["symbol"].is_unique and hubs["consensus_rank"].tolist() == list(range(1, len(hubs) + 1))
        graph = nx.read_graphml(finished_study / f"results/network/{name}.graphml")
        assert sorted(graph.nodes) == sorted(hubs["symbol"])
        edges = pd.read_csv(finished_study / f"results/network/{name}.cytoscape_edges.tsv", sep="\t")
        assert len(edges) == graph.number_of_edges()
        assert (finished_study / f"results/network/{name}.network.png").stat().st_size > 0
    modules = pd.read_csv(finished_study / "results/network/coexpression/modules.tsv", sep="\t")
    assert len(modules) == 500 and modules["module"].str.fullmatch(r"M\d+").all()
    traits = pd.read_csv(finished_study / "results/network/coexpression/module_traits.tsv", sep="\t")
    assert {"response", "visit"} <= set(traits["trait"])


def test_robustness_outputs(finished_study):
    """The other route, composition, the adjusted refit and the hubs under each check, and the report's section."""
    robustness = finished_study / "results/robustness"
    agreement = pd.read_csv(robustness / "route_agreement.tsv", sep="\t").set_index("contrast")
    assert {"response_baseline", "interaction_end_of_treatment"} <= set(agreement.index)
    assert (agreement["spearman_stat"] > 0.5).all()
    for name in agreement.index:
        mixed = pd.read_csv(robustness / f"mixed/{name}.tsv", sep="\t")
        assert list(mixed.columns) == DE_COLUMNS and mixed["log2FoldChange_shrunk"].isna().all()
    scores = pd.read_csv(robustness / "composition.tsv", sep="\t")
    assert {"Neutrophils", "T.cells.CD8", "B.cells"} <= set(scores["cell_type"])
    change = pd.read_csv(robustness / "composition_change.tsv", sep="\t")
    assert {"time_end_of_treatment", "interaction_end_of_treatment"} <= set(change["term"])
    sensitivity = pd.read_csv(robustness / "composition_sensitivity.tsv", sep="\t")
    assert set(sensitivity["status"]) <= {"stays significant", "no longer significant",
                                          "not significant before adjustment"}
    adjusted = pd.read_csv(robustness / "composition_adjusted/interaction_end_of_treatment.tsv", sep="\t")
    assert len(adjusted) > 0
    hubs = pd.read_csv(robustness / "hub_robustness.tsv", sep="\t")
    assert {"padj_mixed", "significant_mixed", "padj_composition_adjusted", "survives_all"} <= set(hubs.columns)
    page = (finished_study / "results/report/index.html").read_text()
    assert "Robustness of the findings" in page and "Stage-wise confirmation across visits" in page


def test_mixed_route_writes_every_contrast_but_the_lrt(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort, de={"method": "mixed", "per_arm": False})
    result = run_snakemake(study, "--until", "de_summary")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(study / "results/de/summary.tsv", sep="\t")
    assert "lrt_time_by_response" not in set(summary["contrast"])
    assert {"response_baseline", "interaction_end_of_treatment"} <= set(summary["contrast"])
    for name in summary["contrast"]:
        table = pd.read_csv(study / f"results/de/{name}.tsv", sep="\t")
        assert list(table.columns) == DE_COLUMNS
        assert (study / f"results/de/plots/{name}.volcano.png").stat().st_size > 0


def test_no_input_file_changes_during_a_run(finished_study, study_inputs_before):
    """Counts, sheets, config and the workflow's resources are byte-identical after the run, and nothing was
    written outside results/ and .snakemake/."""
    assert len(study_inputs_before) > 5
    assert input_checksums(finished_study) == study_inputs_before


def test_simulation_refuses_to_write_a_user_count_table(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort, demo={"simulate": True, "n_genes": 100})
    before = (study / "data/counts.tsv").read_bytes()
    result = run_snakemake(study)
    assert result.returncode != 0
    assert ("demo.simulate is true, so the workflow simulates the demo counts into results/demo/counts.tsv, but "
            "counts.path is 'data/counts.tsv'; the workflow never writes to an input. Set counts.path: "
            "results/demo/counts.tsv to run the demo, or demo.simulate: false to analyse data/counts.tsv"
            ) in result.stderr
    assert (study / "data/counts.tsv").read_bytes() == before
    assert not (study / "results").exists()


def test_simulation_writes_only_under_results(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort, counts={"path": "results/demo/counts.tsv"},
               demo={"simulate": True, "n_genes": 100})
    (study / "data/counts.tsv").unlink()
    result = run_snakemake(study, "--until", "prepare_counts")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (study / "results/demo").iterdir()) == ["counts.tsv", "truth.tsv"]
    assert pd.read_csv(study / "results/counts/counts.tsv", sep="\t", index_col=0).shape[0] == 100


def test_rerun_is_a_no_op_and_results_are_deterministic(finished_study):
    before = (finished_study / "results/qc/pca.tsv").read_bytes()
    dry = run_snakemake(finished_study, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    forced = run_snakemake(finished_study, "--forcerun", "qc_pca")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert (finished_study / "results/qc/pca.tsv").read_bytes() == before


def test_report_builds(finished_study):
    result = run_snakemake(finished_study, "--report", "results/report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (finished_study / "results/report.html").stat().st_size > 10_000


def test_sample_missing_from_counts_stops_at_parse_time(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort)
    counts = pd.read_csv(study / "data/counts.tsv", sep="\t", index_col=0)
    missing = counts.columns[1]
    counts.drop(columns=missing).to_csv(study / "data/counts.tsv", sep="\t")
    result = run_snakemake(study)
    assert result.returncode != 0
    assert f"sample(s) {missing} have no column in the count table data/counts.tsv" in result.stderr
    assert not (study / "results").exists()  # stopped before any job: no half-written result


@pytest.mark.parametrize("problem", ["folder", "implausible-count"])
def test_bad_count_table_stops_at_parse_time(tmp_path, small_cohort, problem):
    study = tmp_path / "study"
    make_study(study, small_cohort)
    counts = pd.read_csv(study / "data/counts.tsv", sep="\t", index_col=0)
    if problem == "folder":
        (study / "data/counts.tsv").unlink()
        (study / "data/counts.tsv").mkdir()
        expected = "data/counts.tsv: counts.path names a folder, not a count table; point it at the count file itself"
    else:
        gene, sample = counts.index[2], counts.columns[3]
        counts.loc[gene, sample] = 10**12
        counts.to_csv(study / "data/counts.tsv", sep="\t")
        expected = (f"data/counts.tsv: count '1000000000000' for gene {gene} in sample column '{sample}' (line 4) is "
                    "above 2,147,483,647 (2**31 - 1), the largest count DESeq2 accepts")
    result = run_snakemake(study)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "InputError in file" in result.stderr and "Building DAG" not in result.stderr
    assert not (study / "results").exists()


def test_missing_config_file_is_explained(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort)
    command = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(study), "--cores", "1"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert (f"no config file: {study.resolve()}/config/config.yaml does not exist and no --configfile was given. "
            "Run from (or --directory to) a study folder that has config/config.yaml, or pass --configfile"
            ) in result.stderr
    assert not (study / "results").exists()
    # A --configfile that does not exist fails in Snakemake's command line, before the workflow is read: its
    # traceback at least names the file.
    command = [*command, "--configfile", "study/nope.yaml"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "No such file or directory: 'study/nope.yaml'" in result.stderr


def test_extra_count_columns_are_warned(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort)
    counts = pd.read_csv(study / "data/counts.tsv", sep="\t", index_col=0)
    counts.assign(UNLISTED_1=counts.iloc[:, 0]).to_csv(study / "data/counts.tsv", sep="\t")
    result = run_snakemake(study, "--until", "prepare_counts")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ignored: UNLISTED_1" in (study / "results/logs/prepare_counts.log").read_text()


def test_bad_sheet_stops_at_parse_time(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort)
    clinical = pd.read_csv(study / "data/clinical.tsv", sep="\t")
    clinical.iloc[1:].to_csv(study / "data/clinical.tsv", sep="\t", index=False)
    result = run_snakemake(study)
    assert result.returncode != 0
    assert f"patient(s) {clinical['patient'].iat[0]} are missing from the clinical sheet" in result.stderr
    assert not (study / "results").exists()


def test_config_key_of_wrong_type_stops_at_parse_time(tmp_path, small_cohort):
    study = tmp_path / "study"
    make_study(study, small_cohort, qc={"n_top_genes": "lots"})
    result = run_snakemake(study)
    assert result.returncode != 0
    assert "config key qc.n_top_genes: 'lots' is not of type 'integer'" in result.stderr


def test_string_file_without_symbol_map_stops_at_parse_time(tmp_path, small_cohort):
    study = tmp_path / "study"
    (tmp_path / "links.txt").write_text("protein1 protein2 combined_score\n9606.P1 9606.P2 900\n")
    make_study(study, small_cohort, network={"ppi": {"links": str(tmp_path / "links.txt")}})
    result = run_snakemake(study)
    assert result.returncode != 0
    assert "network.ppi.info or network.ppi.aliases must name" in result.stderr
    assert not (study / "results").exists()


def test_lint_is_clean():
    result = subprocess.run([SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_ruff_is_clean():
    ruff = Path(SNAKEMAKE).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
