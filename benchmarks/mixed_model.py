"""Time the mixed-model DE route (trialrna.mixed) on a demo-generator cohort, and statsmodels' MixedLM beside it.

    .venv/bin/python benchmarks/mixed_model.py [--patients 60] [--genes 20000] [--threads 2] [--chunk-size 2048]
                                               [--statsmodels-genes 20] [--workdir DIR]

The cohort is the demo generator's, complete (every patient at every visit, NE recoded as SD so that every sample
enters the fit): 60 patients x 3 visits = 180 samples x 20,000 genes by default. The fit runs in a fresh process
(``run_mixed``: expression filter, voom, REML for every gene, Satterthwaite tests of the nine contrasts,
moderation), timed by GNU time (/usr/bin/time) for wall time and peak resident memory of the whole process
(imports and reading the count table included); the process also prints the seconds inside ``run_mixed``.
``--statsmodels-genes N`` fits N genes one by one with statsmodels' ``MixedLM`` (same fixed effects and random
intercept, REML; it takes no observation weights, so it fits an easier model) and extrapolates to all genes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.annotation import read_gene_annotation  # noqa: E402
from trialrna.cohort import read_sample_metadata, write_sample_metadata  # noqa: E402
from trialrna.demo import demo_genes, simulate_clinical, simulate_counts  # noqa: E402
from trialrna.design import sample_metadata  # noqa: E402

TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]


def write_cohort(directory: Path, *, patients: int, genes: int, seed: int) -> None:
    """A complete demo cohort as ``counts.tsv`` and ``metadata.tsv`` in ``directory``."""
    _, clinical = simulate_clinical(n_patients=patients, seed=seed, timepoints=TIMEPOINTS, missed_visit_rate=0)
    clinical["best_response"] = clinical["best_response"].replace({"NE": "SD"})
    samples = pd.DataFrame([(f"{p}_{v}", p, v) for p in clinical["patient"] for v in TIMEPOINTS],
                           columns=["sample", "patient", "timepoint"])
    annotation = read_gene_annotation(ROOT / "resources/annotation/genes.tsv.gz")
    counts, _ = simulate_counts(samples, clinical, genes=demo_genes(annotation, n_genes=genes, seed=seed), seed=seed,
                                timepoints=TIMEPOINTS)
    directory.mkdir(parents=True, exist_ok=True)
    counts.to_csv(directory / "counts.tsv", sep="\t")
    write_sample_metadata(sample_metadata(samples, clinical, rule="orr", timepoints=TIMEPOINTS),
                          directory / "metadata.tsv")


def fit_only(directory: Path, *, threads: int, chunk_size: int) -> None:
    """The timed child process: read the cohort and run the mixed-model route."""
    from trialrna.mixed import run_mixed

    counts = pd.read_csv(directory / "counts.tsv", sep="\t", index_col=0)
    metadata = read_sample_metadata(directory / "metadata.tsv")
    genes = pd.DataFrame({"gene_id": counts.index, "symbol": counts.index})
    start = time.perf_counter()
    tables = run_mixed(counts, metadata, genes=genes, covariates=["arm"], n_cpus=threads, min_count=10,
                       min_samples=3, chunk_size=chunk_size)
    seconds = time.perf_counter() - start
    first = next(iter(tables.values()))
    print(f"run_mixed: {seconds:.1f} s for {len(first)} genes x {len(metadata)} samples, {len(tables)} contrasts")


def time_statsmodels(directory: Path, *, n_genes: int) -> tuple[float, int]:
    """Seconds per gene of statsmodels' MixedLM (REML, unweighted) on voom's log2-CPM of the first genes."""
    import statsmodels.formula.api as smf

    counts = pd.read_csv(directory / "counts.tsv", sep="\t", index_col=0)
    metadata = read_sample_metadata(directory / "metadata.tsv")
    kept = counts[(counts >= 10).sum(axis=1) >= 3]
    log_cpm = np.log2((kept + 0.5) / (kept.sum(axis=0) + 1) * 1e6)
    data = metadata.assign(cell=metadata["group"].astype(str) + ":" + metadata["timepoint"].astype(str))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary and convergence warnings
        for gene in log_cpm.index[:n_genes]:
            model = smf.mixedlm("y ~ 0 + cell + arm", data.assign(y=log_cpm.loc[gene, data["sample"]].to_numpy()),
                                groups=data["patient"])
            model.fit(reml=True)
    return (time.perf_counter() - start) / n_genes, len(kept)


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and standard output of a command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True, check=True)
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), float(kilobytes) / 1024, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--statsmodels-genes", type=int, default=0, help="also time statsmodels' MixedLM on N genes")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--fit-only", type=Path, help=argparse.SUPPRESS)  # the timed child process
    args = parser.parse_args()
    if args.fit_only:
        fit_only(args.fit_only, threads=args.threads, chunk_size=args.chunk_size)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mixed_model_"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; work dir {workdir}")
    write_cohort(workdir, patients=args.patients, genes=args.genes, seed=args.seed)
    seconds, megabytes, output = timed([sys.executable, __file__, "--fit-only", str(workdir), "--threads",
                                        str(args.threads), "--chunk-size", str(args.chunk_size)])
    print(f"{args.patients} patients x 3 visits, {args.genes} genes, {args.threads} threads, chunks of "
          f"{args.chunk_size} genes\n{output}\nwhole process: {seconds:.1f} s wall, peak RSS {megabytes:.0f} MB")
    if args.statsmodels_genes:
        per_gene, n_genes = time_statsmodels(workdir, n_genes=args.statsmodels_genes)
        print(f"statsmodels MixedLM (unweighted, one thread): {per_gene:.2f} s per gene over "
              f"{args.statsmodels_genes} genes, ~{per_gene * n_genes / 60:.0f} min for {n_genes} genes")


if __name__ == "__main__":
    main()
