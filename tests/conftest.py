"""Shared fixtures: the pinned annotation, a small simulated cohort, and a Snakemake runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trialrna.annotation import read_gene_annotation, sha256sum
from trialrna.contrasts import plan_contrasts
from trialrna.de import run_fit
from trialrna.demo import demo_genes, simulate_clinical, simulate_counts, write_cohort
from trialrna.design import sample_metadata

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]


@pytest.fixture(scope="session")
def annotation() -> pd.DataFrame:
    return read_gene_annotation(ROOT / "resources/annotation/genes.tsv.gz")


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory, annotation) -> dict[str, Path]:
    """8 patients x 3 visits x 1,000 genes from the demo generator (read-only: copy before changing)."""
    return write_cohort(tmp_path_factory.mktemp("cohort"), annotation=annotation, n_patients=8, n_genes=1000,
                        seed=11)


@pytest.fixture(scope="session")
def planted_cohort(annotation):
    """36 patients x 3 visits x 1,200 genes with the demo's planted resistance programme."""
    samples, clinical = simulate_clinical(n_patients=36, seed=7)
    genes = demo_genes(annotation, n_genes=1200, seed=7)
    counts, truth = simulate_counts(samples, clinical, genes=genes, seed=7)
    metadata = sample_metadata(samples, clinical, rule="orr", timepoints=TIMEPOINTS)
    return counts, genes, truth, metadata


@pytest.fixture(scope="session")
def longitudinal_tables(planted_cohort):
    """DE tables of the planted cohort's longitudinal fit (time, interaction contrasts and the LRT)."""
    counts, genes, _, metadata = planted_cohort
    fit = plan_contrasts(metadata, covariates=["arm"]).fit("longitudinal")
    return run_fit(counts, fit, genes=genes, alpha=0.05, n_cpus=2, min_count=10, min_samples=3)


#: Script payload carried by the first sample's name in the shared run, to prove the report escapes it.
PAYLOAD = "<script>alert('x')</script>"


@pytest.fixture(scope="session")
def study_inputs_before() -> dict[str, str]:
    """SHA-256 of every input file of :func:`finished_study`, recorded just before its run."""
    return {}


def input_checksums(study: Path) -> dict[str, str]:
    """SHA-256 of every file of a study folder outside what the workflow owns (results/, .snakemake/), and of the
    workflow's own resources next to the Snakefile, keyed by path."""
    owned = {"results", ".snakemake"}
    files = [path for path in study.rglob("*") if path.is_file() and path.relative_to(study).parts[0] not in owned]
    files += [path for path in (ROOT / "resources").rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    return {str(path): sha256sum(path) for path in sorted(files)}


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory, small_cohort, study_inputs_before) -> Path:
    """One full run on the small cohort, from another working directory, shared by the workflow tests.

    Its first sample's name ends in :data:`PAYLOAD` (sample ids may hold anything but spaces). The checksums of its
    input files before the run are in :func:`study_inputs_before`.
    """
    study = tmp_path_factory.mktemp("run") / "study"
    make_study(study, small_cohort)
    samples = pd.read_csv(study / "data/samples.tsv", sep="\t")
    counts = pd.read_csv(study / "data/counts.tsv", sep="\t", index_col=0)
    renamed = {samples["sample"].iat[0]: samples["sample"].iat[0] + PAYLOAD.replace(" ", "")}
    samples.replace({"sample": renamed}).to_csv(study / "data/samples.tsv", sep="\t", index=False)
    counts.rename(columns=renamed).to_csv(study / "data/counts.tsv", sep="\t")
    study_inputs_before.update(input_checksums(study))
    result = run_snakemake(study)
    assert result.returncode == 0, result.stderr[-3000:]
    return study


def make_study(directory: Path, cohort: dict[str, Path], **overrides) -> Path:
    """Copy a cohort into ``directory/data`` and write ``directory/config.yaml``; returns the config path."""
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name in ("samples", "clinical", "counts"):
        (data / f"{name}.tsv").write_bytes(cohort[name].read_bytes())
    config = {
        "counts": {"path": "data/counts.tsv", "format": "matrix"},
        "samples": "data/samples.tsv",
        "clinical": "data/clinical.tsv",
        "timepoints": TIMEPOINTS,
        "qc": {"n_top_genes": 300},
        # Small and quick: GO BP and KEGG only, GSEA of KEGG on the interaction contrasts with few permutations.
        "enrichment": {"go": ["BP"], "gsea": {"permutations": 100, "libraries": ["KEGG_2021"],
                                              "contrasts": ["interaction_*"]}},
        "network": {"bootstrap": 20, "epc_networks": 200, "coexpression": {"n_genes": 500, "min_module_size": 20}},
    }
    config.update(overrides)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_snakemake(study: Path, *args: str, cores: int = 2, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the workflow's Snakefile with ``study`` as working directory, from another current directory."""
    command = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(study), "--configfile",
               str(study / "config.yaml"), "--cores", str(cores), *args]
    return subprocess.run(command, cwd=study.parent, capture_output=True, text=True, timeout=timeout)
