"""The workflow on a real Slurm (slurm executor plugin, profiles/slurm), and resuming after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from slurm_cluster import ACCOUNT, SlurmCluster, missing_programs

from conftest import ROOT, SNAKEMAKE, run_snakemake

pytestmark = pytest.mark.workflow
COMPARED = ["results/de/summary.tsv", "results/de/interaction_end_of_treatment.tsv", "results/qc/pca.tsv",
            "results/clinical/survival.tsv", "results/enrichment/interaction_end_of_treatment/GO_BP.ora_down.tsv"]


def copy_study(source: Path, target: Path) -> Path:
    """A fresh study with the same inputs and config as ``source``."""
    (target / "data").mkdir(parents=True)
    for item in ("config.yaml", "data/samples.tsv", "data/clinical.tsv", "data/counts.tsv"):
        (target / item).write_bytes((source / item).read_bytes())
    return target


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    missing = missing_programs()
    if missing:
        pytest.skip(f"no local Slurm: {', '.join(missing)} not installed (Debian slurm-wlm slurmdbd munge "
                    "mariadb-server; .ci/run installs them)")
    if os.geteuid() != 0:
        pytest.skip("starting munge and Slurm daemons needs root")
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_workflow_on_slurm_matches_a_local_run(slurm, finished_study, tmp_path):
    study = copy_study(finished_study, tmp_path / "study")
    started = time.monotonic()
    result = subprocess.run(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(study), "--configfile",
         str(study / "config.yaml"), "--profile", str(ROOT / "profiles/slurm"), "--jobs", "4",
         "--latency-wait", "10",
         # A job's state is polled once a second instead of the plugin's 10 s (and 40 s before the first check):
         # on an idle test cluster the polling, not the jobs, would take most of the time.
         "--seconds-between-status-checks", "1", "--slurm-init-seconds-before-status-checks", "1",
         *COMPARED],  # the compared outputs and what they need, to keep the test short
        cwd=tmp_path, env=slurm.env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    print(f"workflow on Slurm: {time.monotonic() - started:.0f} s")
    accounting = subprocess.run(["sacct", "-X", "-n", "-P", "--format=JobName,State,Account", "-S", "now-2hours"],
                                env=slurm.env, capture_output=True, text=True, check=True).stdout.splitlines()
    completed = [line for line in accounting if "|COMPLETED|" in line]
    assert len(completed) >= 10, accounting
    assert all(line.endswith(ACCOUNT) for line in completed)  # account taken from the environment
    for output in COMPARED:
        assert (study / output).read_bytes() == (finished_study / output).read_bytes(), output


def test_killed_run_resumes_without_recomputing(finished_study, tmp_path):
    study = copy_study(finished_study, tmp_path / "study")
    command = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(study), "--configfile",
               str(study / "config.yaml"), "--cores", "2"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    longitudinal = study / "results/logs/de/longitudinal.log"
    deadline = time.monotonic() + 300
    while not longitudinal.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before DE started"
    os.killpg(process.pid, signal.SIGTERM)  # as a scheduler or Ctrl-C would: snakemake and its jobs
    process.wait(timeout=120)
    assert process.returncode != 0
    finished_before = {path: path.stat().st_mtime_ns for path in (study / "results/qc").glob("*.tsv")}
    finished_before[study / "results/counts/counts.tsv"] = (study / "results/counts/counts.tsv").stat().st_mtime_ns
    resumed = run_snakemake(study, *COMPARED)  # what the comparison needs, not the whole workflow again
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for path, mtime in finished_before.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed"
    for output in COMPARED:
        assert (study / output).read_bytes() == (finished_study / output).read_bytes(), output
