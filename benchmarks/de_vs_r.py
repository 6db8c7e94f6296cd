"""Time the workflow's DE step against R DESeq2 on the same designs, and print the ratio and peak memory.

    .venv/bin/python benchmarks/de_vs_r.py [--patients 60] [--genes 20000] [--threads 2] [--workdir DIR]

The cohort comes from the demo generator (60 patients x 3 visits x 20,000 genes by default). Every design the
workflow fits (three cross-sectional, one nested longitudinal with its LRT) is exported as a case folder; each
case is fitted in a fresh process by trialrna (pydeseq2 with the rule's threads) and by R DESeq2 1.38
(tests/fixtures/deseq2_reference.R, Wald and LRT fits, serial as DESeq() runs by default). Wall time and peak
resident memory come from GNU time (/usr/bin/time), for the largest single process of each run (pydeseq2's
joblib workers are separate processes). Needs Debian's r-bioc-deseq2 and time packages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.annotation import read_gene_annotation  # noqa: E402
from trialrna.contrasts import plan_contrasts  # noqa: E402
from trialrna.de import filter_expressed  # noqa: E402
from trialrna.demo import demo_genes, simulate_clinical, simulate_counts  # noqa: E402
from trialrna.design import sample_metadata  # noqa: E402
from trialrna.reference import R_SCRIPT, export_case  # noqa: E402

TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True, check=True)
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), float(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="de_vs_r_"))

    samples, clinical = simulate_clinical(n_patients=args.patients, seed=args.seed, timepoints=TIMEPOINTS)
    genes = demo_genes(read_gene_annotation(ROOT / "resources/annotation/genes.tsv.gz"), n_genes=args.genes,
                       seed=args.seed)
    counts, _ = simulate_counts(samples, clinical, genes=genes, seed=args.seed, timepoints=TIMEPOINTS)
    metadata = sample_metadata(samples, clinical, rule="orr", timepoints=TIMEPOINTS)
    plan = plan_contrasts(metadata, covariates=["arm"])
    print(f"cohort: {len(clinical)} patients, {len(samples)} samples, {len(genes)} genes; work dir {workdir}")
    print(f"{'design':<34}{'genes':>7}{'cols':>6}{'python s':>10}{'R s':>9}{'ratio':>7}{'py MB':>8}{'R MB':>8}")
    totals = [0.0, 0.0]
    for fit in plan.fits:
        expressed = filter_expressed(counts[fit.design.index], min_count=10, min_samples=3, context=fit.name)
        case = export_case(workdir / fit.name, counts=expressed, design=fit.design, contrasts=fit.contrasts,
                           reduced=fit.reduced)
        fit_in_python = (f"import sys; sys.path.insert(0, {str(ROOT / 'workflow/scripts')!r}); "
                         f"from trialrna.reference import fit_case; fit_case({str(case)!r}, n_cpus={args.threads})")
        python_s, python_mb = timed([sys.executable, "-c", fit_in_python])
        r_s, r_mb = timed(["Rscript", str(R_SCRIPT), str(case)])
        totals[0] += python_s
        totals[1] += r_s
        print(f"{fit.name:<34}{len(expressed):>7}{fit.design.shape[1]:>6}{python_s:>10.1f}{r_s:>9.1f}"
              f"{python_s / r_s:>7.2f}{python_mb:>8.0f}{r_mb:>8.0f}")
    print(f"{'total':<47}{totals[0]:>10.1f}{totals[1]:>9.1f}{totals[0] / totals[1]:>7.2f}")


if __name__ == "__main__":
    main()
