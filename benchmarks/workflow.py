"""Run the demo workflow from a clean results/ and print wall time, CPU time and peak memory per stage.

    .venv/bin/python benchmarks/workflow.py [--cores 2] [--workdir DIR] [--keep]

The demo config and sheets are copied into a fresh working directory (a temporary one unless --workdir), so the
repository's own results/ is never touched; Snakemake runs the repository's Snakefile there with --cores. The
whole run is timed by GNU time (wall, CPU = user + system of all processes, peak RSS of the largest process);
each stage's figures come from the rules' benchmark files (results/benchmarks): jobs, summed job wall time,
summed CPU time and the largest job's peak RSS. Stages are the benchmark folders (de, enrichment, network,
clinical) and, for files at the top, the rule's name up to its first underscore (qc, report, ...).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def stage_of(path: Path, benchmarks: Path) -> str:
    relative = path.relative_to(benchmarks)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem.split("_")[0]


def stage_table(benchmarks: Path) -> pd.DataFrame:
    """One row per stage: jobs, summed wall and CPU seconds, largest peak RSS (MB)."""
    rows = []
    for path in sorted(benchmarks.rglob("*.tsv")):
        row = pd.read_csv(path, sep="\t").iloc[-1]
        rows.append((stage_of(path, benchmarks), float(row["s"]), float(row["cpu_time"]), float(row["max_rss"])))
    jobs = pd.DataFrame(rows, columns=["stage", "wall_s", "cpu_s", "peak_mb"])
    table = jobs.groupby("stage").agg(jobs=("wall_s", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"),
                                      peak_mb=("peak_mb", "max"))
    return table.sort_values("wall_s", ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary working directory")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trialrna_demo_"))
    shutil.copytree(ROOT / "config", workdir / "config", dirs_exist_ok=True)
    shutil.rmtree(workdir / "results", ignore_errors=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; demo in {workdir} with --cores {args.cores}")
    command = ["/usr/bin/time", "-f", "%e %U %S %M", SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory",
               str(workdir), "--cores", str(args.cores), "--quiet", "rules"]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    wall, user, system, peak_kb = map(float, result.stderr.strip().splitlines()[-1].split())
    table = stage_table(workdir / "results/benchmarks")
    print(f"\nwhole run: {wall / 60:.1f} min wall, {(user + system) / 60:.1f} min CPU, {len(table)} stages, "
          f"{int(table['jobs'].sum())} jobs, largest process {peak_kb / 1024:.0f} MB")
    print("\n" + table.to_string(float_format=lambda value: f"{value:.1f}"))
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
