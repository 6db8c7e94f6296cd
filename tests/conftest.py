"""Shared fixtures: the pinned annotation, a small simulated cohort, and a Snakemake runner."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
def study_inputs_before(finished_study) -> dict[str, str]:
    """SHA-256 of every input file of :func:`finished_study`, recorded just before its run."""
    return json.loads((finished_study.parent / "inputs_before.json").read_text())


def input_checksums(study: Path) -> dict[str, str]:
    """SHA-256 of every file of a study folder outside what the workflow owns (results/, .snakemake/), and of the
    workflow's own resources next to the Snakefile, keyed by path."""
    owned = {"results", ".snakemake"}
    files = [path for path in study.rglob("*") if path.is_file() and path.relative_to(study).parts[0] not in owned]
    files += [path for path in (ROOT / "resources").rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    return {str(path): sha256sum(path) for path in sorted(files)}


@contextmanager
def built_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder shared by every pytest-xdist worker of this session, and whether it is already built.

    The first worker to get the lock builds it (and creates ``name/.built`` when done); the others wait, then reuse.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' base folders share this parent
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder, (folder / ".built").exists()


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory, small_cohort) -> Path:
    """One full run on the small cohort, from another working directory, shared by the workflow tests.

    Its first sample's name ends in :data:`PAYLOAD` (sample ids may hold anything but spaces). The checksums of its
    input files before the run are in :func:`study_inputs_before`. Built once per test session, whatever the
    number of xdist workers.
    """
    with built_once(tmp_path_factory, "shared_run") as (folder, built):
        study = folder / "study"
        if built:
            return study
        shutil.rmtree(folder, ignore_errors=True)
        make_study(study, small_cohort)
        samples = pd.read_csv(study / "data/samples.tsv", sep="\t")
        counts = pd.read_csv(study / "data/counts.tsv", sep="\t", index_col=0)
        renamed = {samples["sample"].iat[0]: samples["sample"].iat[0] + PAYLOAD.replace(" ", "")}
        samples.replace({"sample": renamed}).to_csv(study / "data/samples.tsv", sep="\t", index=False)
        counts.rename(columns=renamed).to_csv(study / "data/counts.tsv", sep="\t")
        (folder / "inputs_before.json").write_text(json.dumps(input_checksums(study)))
        result = run_snakemake(study)
        assert result.returncode == 0, result.stderr[-3000:]
        (folder / ".built").touch()
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




def pytest_configure(config: pytest.Config) -> None:
    """Under ``make test``'s two xdist workers, BLAS and OpenMP get one thread per worker: with both cores busy, a
    second thread spins waiting for a core instead of computing. (Workflow jobs get their rule's threads from
    Snakemake, whatever this process has.)"""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)  # BLAS and OpenMP; stays in force for the worker's life


#: Modules with end-to-end runs, in the order ``make test`` hands them to its two xdist workers (serial seconds on
#: the 2-core machine): the shared run is built by test_report (~170 s) while the other worker runs the airway study
#: (~100 s), so test_workflow (~60 s) and test_slurm (~150 s) find it ready. Other modules follow in file order.
LONG_MODULES = ("tests/test_report.py", "tests/test_real_data.py", "tests/test_workflow.py", "tests/test_slurm.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first, for ``make test``'s ``pytest -n 2 --dist loadscope --no-loadscope-reorder``: xdist hands
    out whole modules (so module fixtures are built once), and a long module started last would keep one worker
    busy while the other idles."""
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::")[0]
        return LONG_MODULES.index(module) if module in LONG_MODULES else len(LONG_MODULES)

    items.sort(key=rank)
