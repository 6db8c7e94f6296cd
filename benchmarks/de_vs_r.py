"""Time the workflow's DE engine against R DESeq2 on the same designs, and how it scales with samples.

    .venv/bin/python benchmarks/de_vs_r.py [--patients 60] [--genes 20000] [--threads 2] [--workdir DIR]
                                           [--scale 10 30 60 167] [--skip-r]

The cohort comes from the demo generator (60 patients x 3 visits x 20,000 genes by default). Every design the
workflow fits (three cross-sectional, one nested longitudinal with its LRT) is exported as a case folder; each
case is fitted in a fresh process by trialrna (``tests/deseq2_cases.py``: the rule's fit, every Wald
contrast with apeGLM shrinkage, and the LRT, with ``--threads`` threads) and by R DESeq2 1.38
(tests/fixtures/deseq2_reference.R: ``DESeq()`` for the Wald contrasts and again with ``test="LRT"``, serial as
``DESeq()`` runs by default, without shrinkage). Wall time and peak resident memory come from GNU time
(/usr/bin/time) of the whole process, start-up and imports included on both sides.

``--scale`` fits the longitudinal design of cohorts of that many patients (3 visits, a few missed) with
trialrna only, to show how time and memory grow with samples. ``--gene-copies K`` stacks K binomially thinned
copies of the simulated genes (the annotation has about 20,000 unambiguous real genes), e.g. ``--patients 190
--genes 20000 --gene-copies 3 --skip-r`` for 60,000 genes x 500 samples. Needs Debian's r-bioc-deseq2 and time
packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from deseq2_cases import R_SCRIPT, export_case  # noqa: E402

from trialrna.annotation import read_gene_annotation  # noqa: E402
from trialrna.contrasts import plan_contrasts  # noqa: E402
from trialrna.de import filter_expressed  # noqa: E402
from trialrna.demo import demo_genes, simulate_clinical, simulate_counts  # noqa: E402
from trialrna.design import sample_metadata  # noqa: E402

TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True, check=True)
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), float(kilobytes) / 1024


def export_cohort(directory: Path, *, patients: int, genes: int, seed: int, gene_copies: int = 1):
    """The workflow's designs of a demo-generator cohort as case folders; returns [(fit, case folder, genes)]."""
    samples, clinical = simulate_clinical(n_patients=patients, seed=seed, timepoints=TIMEPOINTS)
    annotation = read_gene_annotation(ROOT / "resources/annotation/genes.tsv.gz")
    counts, _ = simulate_counts(samples, clinical, genes=demo_genes(annotation, n_genes=genes, seed=seed), seed=seed,
                                timepoints=TIMEPOINTS)
    rng = np.random.default_rng(seed)
    counts = pd.concat([counts, *(pd.DataFrame(rng.binomial(counts, 0.9), index=counts.index + f"_copy{copy}",
                                               columns=counts.columns) for copy in range(1, gene_copies))])
    metadata = sample_metadata(samples, clinical, rule="orr", timepoints=TIMEPOINTS)
    cases = []
    for fit in plan_contrasts(metadata, covariates=["arm"]).fits:
        expressed = filter_expressed(counts[fit.design.index], min_count=10, min_samples=3, context=fit.name)
        case = export_case(directory / fit.name, counts=expressed, design=fit.design, contrasts=fit.contrasts,
                           reduced=fit.reduced)
        cases.append((fit, case, len(expressed)))
    return cases


def fit_in_python(case: Path, *, threads: int) -> tuple[float, float]:
    code = (f"import sys; sys.path[:0] = [{str(ROOT / 'workflow/scripts')!r}, {str(ROOT / 'tests')!r}]; "
            f"from deseq2_cases import fit_case; fit_case({str(case)!r}, n_cpus={threads})")
    return timed([sys.executable, "-c", code])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--scale", type=int, nargs="*", default=[], metavar="PATIENTS",
                        help="also fit the longitudinal design of cohorts of these sizes (trialrna only)")
    parser.add_argument("--skip-r", action="store_true", help="time trialrna only")
    parser.add_argument("--gene-copies", type=int, default=1, help="stack copies of the genes (memory checks)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="de_vs_r_"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; work dir {workdir}")

    cases = export_cohort(workdir / "main", patients=args.patients, genes=args.genes, seed=args.seed,
                          gene_copies=args.gene_copies)
    print(f"\ncohort: {args.patients} patients x 3 visits, {args.genes * args.gene_copies} genes; trialrna with "
          f"{args.threads} threads, R serial")
    print(f"{'design':<34}{'genes':>7}{'cols':>6}{'trialrna s':>12}{'R s':>9}{'ratio':>7}{'trialrna MB':>13}"
          f"{'R MB':>8}")
    for fit, case, n_genes in cases:
        python_s, python_mb = fit_in_python(case, threads=args.threads)
        r_s, r_mb = (float("nan"), float("nan")) if args.skip_r else timed(["Rscript", str(R_SCRIPT), str(case)])
        print(f"{fit.name:<34}{n_genes:>7}{fit.design.shape[1]:>6}{python_s:>12.1f}{r_s:>9.1f}"
              f"{python_s / r_s:>7.3f}{python_mb:>13.0f}{r_mb:>8.0f}", flush=True)

    if args.scale:
        print(f"\nscale: longitudinal (nested) fit with every Wald contrast, shrinkage and the LRT, "
              f"{args.genes} genes, {args.threads} threads")
        print(f"{'patients':>9}{'samples':>9}{'genes':>7}{'cols':>6}{'seconds':>9}{'peak MB':>9}")
        for patients in args.scale:
            fit, case, n_genes = next(c for c in export_cohort(workdir / f"scale_{patients}", patients=patients,
                                                                genes=args.genes, seed=args.seed)
                                      if c[0].name == "longitudinal")
            seconds, megabytes = fit_in_python(case, threads=args.threads)
            print(f"{patients:>9}{len(fit.design):>9}{n_genes:>7}{fit.design.shape[1]:>6}{seconds:>9.1f}"
                  f"{megabytes:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
