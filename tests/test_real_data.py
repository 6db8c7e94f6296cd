"""The whole workflow on a real public Ensembl count table (airway, tests/data/airway), as a new user would run it.

Four cell lines before and after dexamethasone become a 4-patient single-arm study with two visits. Real tables
have symbols shared by several Ensembl ids (379 here: ARL17A, GOLGA8A, LRRC37A, ...): every stage must finish,
keep the gene id as the key and collapse symbols only where it says so. The same counts in nf-core salmon and
featureCounts layouts must give the same checked count table.
"""

from __future__ import annotations

import gzip
import hashlib

import networkx as nx
import pandas as pd
import pytest

from conftest import ROOT, run_snakemake

pytestmark = pytest.mark.workflow

AIRWAY = ROOT / "tests/data/airway"
#: Invented best responses (airway has none): two responders, two non-responders.
RESPONSES = {"N61311": "PR", "N052611": "CR", "N080611": "SD", "N061011": "PD"}


def write_study(study, *, counts_file: str, fmt: str) -> None:
    samples = pd.read_csv(AIRWAY / "samples.tsv", sep="\t")
    sheet = pd.DataFrame({"sample": samples["sample_id"], "patient": samples["cell_line"],
                          "timepoint": samples["treatment"].map({"untreated": "baseline",
                                                                 "dexamethasone": "on_treatment"})})
    sheet.to_csv(study / "samples.tsv", sep="\t", index=False)
    pd.DataFrame({"patient": list(RESPONSES), "arm": "dexamethasone", "best_response": list(RESPONSES.values())}
                 ).to_csv(study / "clinical.tsv", sep="\t", index=False)
    (study / "config.yaml").write_text(f"""\
counts: {{path: {counts_file}, format: {fmt}}}
samples: samples.tsv
clinical: clinical.tsv
timepoints: [baseline, on_treatment]
de: {{covariates: []}}
qc: {{n_top_genes: 500}}
enrichment: {{go: [BP], gsea: {{permutations: 100, libraries: [KEGG_2021], contrasts: ["interaction_*"]}}}}
network: {{bootstrap: 10, epc_networks: 100, coexpression: {{n_genes: 500, min_module_size: 20}}}}
""")


def other_layouts(study) -> None:
    """The airway matrix as nf-core/rnaseq's salmon.merged.gene_counts.tsv and as featureCounts output."""
    counts = pd.read_csv(AIRWAY / "counts.tsv.gz", sep="\t", index_col=0)
    salmon = counts.astype(float)
    salmon.insert(0, "gene_name", counts.index)
    salmon.index = [f"{gene}.{7}" if gene.startswith("ENSG") else gene for gene in counts.index]  # versioned ids
    salmon.index.name = "gene_id"
    salmon.to_csv(study / "salmon.merged.gene_counts.tsv", sep="\t")
    features = counts.copy()
    features.columns = [f"/data/bam/{sample}.markdup.sorted.bam" for sample in counts.columns]
    # Coordinates are not part of the check; featureCounts' layout needs the columns.
    for position, (column, value) in enumerate([("Chr", "1"), ("Start", 1), ("End", 1000), ("Strand", "+"),
                                                ("Length", 1000)]):
        features.insert(position, column, value)
    features.index.name = "Geneid"
    with open(study / "featurecounts.txt", "w") as handle:
        handle.write("# Program:featureCounts v2.0.6; Command:\"featureCounts\" \"-a\" \"genes.gtf\"\n")
        features.to_csv(handle, sep="\t")


@pytest.fixture(scope="module")
def airway_study(tmp_path_factory):
    study = tmp_path_factory.mktemp("airway") / "study"
    study.mkdir()
    with gzip.open(AIRWAY / "counts.tsv.gz") as source:
        (study / "counts.tsv").write_bytes(source.read())
    write_study(study, counts_file="counts.tsv", fmt="matrix")
    before = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in study.iterdir()}
    result = run_snakemake(study, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    report = run_snakemake(study, "--report", "results/report.html")
    assert report.returncode == 0, report.stderr[-2000:]
    assert {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in study.iterdir()
            if path.is_file()} == before
    return study


def test_real_ensembl_table_with_duplicated_symbols_finishes(airway_study):
    genes = pd.read_csv(airway_study / "results/counts/genes.tsv", sep="\t")
    assert len(genes) == 64102 and genes["gene_id"].is_unique
    shared = genes["symbol"].value_counts()
    assert (shared > 1).sum() == 379 and {"ARL17A", "GOLGA8A", "LRRC37A"} <= set(shared[shared > 1].index)
    contrasts = pd.read_csv(airway_study / "results/de/contrasts.tsv", sep="\t")
    tested = contrasts.loc[contrasts["status"] == "tested", "contrast"].tolist()
    assert {"response_baseline", "time_on_treatment_responders", "interaction_on_treatment"} <= set(tested)
    for name in tested:
        table = pd.read_csv(airway_study / f"results/de/{name}.tsv", sep="\t")
        assert table["gene_id"].is_unique and (table["symbol"] == "ARL17A").sum() == 2  # both ids tested
        hubs = pd.read_csv(airway_study / f"results/network/{name}.hubs.tsv", sep="\t")
        assert hubs["symbol"].is_unique and hubs["gene_id"].is_unique
        graph = nx.read_graphml(airway_study / f"results/network/{name}.graphml")
        assert sorted(graph.nodes) == sorted(hubs["symbol"])
    # Dexamethasone's best-known targets are found within the treated cell lines.
    time = pd.read_csv(airway_study / "results/de/time_on_treatment_responders.tsv", sep="\t")
    assert {"FKBP5", "TSC22D3", "PER1"} <= set(time.loc[time["padj"] < 0.05, "symbol"])
    page = (airway_study / "results/report/index.html").read_text()
    assert "single-arm study (dexamethasone)" in page and "randomised" not in page
    assert "What could not be estimated" in page


@pytest.mark.parametrize(("counts_file", "fmt"), [("salmon.merged.gene_counts.tsv", "nfcore_salmon"),
                                                  ("featurecounts.txt", "featurecounts")])
def test_the_same_counts_in_other_layouts(airway_study, tmp_path, counts_file, fmt):
    study = tmp_path / "study"
    study.mkdir()
    other_layouts(study)
    write_study(study, counts_file=counts_file, fmt=fmt)
    result = run_snakemake(study, "--until", "prepare_counts")
    assert result.returncode == 0, result.stderr[-3000:]
    for table in ("counts.tsv", "genes.tsv"):
        assert (study / f"results/counts/{table}").read_bytes() == (airway_study / f"results/counts/{table}"
                                                                   ).read_bytes(), table
