"""Time the enrichment stage on finished DE results: ORA for every contrast and library, GSEA as configured.

    .venv/bin/python benchmarks/enrichment.py [--results results] [--config config/config.yaml] [--threads 2]

Run after the workflow's DE stage (``make run`` or ``snakemake --until de_summary``). Prints the time per step and
in total; the functions are the ones the enrichment rules call, in one process (no Snakemake job overhead).
"""

from __future__ import annotations

import argparse
import sys
import time
from fnmatch import fnmatch
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.enrich import over_representation, preranked_gsea  # noqa: E402
from trialrna.gene_sets import read_gmt, resolve_libraries  # noqa: E402
from trialrna.tables import read_result_table  # noqa: E402
from trialrna.validation import validate_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--config", type=Path, default=ROOT / "config/config.yaml")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
    validate_config(config, schema=ROOT / "workflow/schemas/config.schema.yaml", source=str(args.config))
    settings = config["enrichment"]
    libraries = resolve_libraries(pinned_dir=ROOT / "resources/gene_sets", go=settings["go"], kegg=settings["kegg"],
                                  custom=settings["custom"])
    sets = {name: read_gmt(path) for name, path in libraries.items()}
    tables = sorted((args.results / "de").rglob("*.tsv"))
    tables = [path for path in tables if path.stem.startswith(("response_", "time_", "interaction_", "lrt_"))]
    print(f"{len(tables)} DE tables, libraries: {', '.join(libraries)}")
    started = time.perf_counter()
    for path in tables:
        table = read_result_table(path)
        for gene_sets in sets.values():
            for direction in ("up", "down"):
                over_representation(table, gene_sets, direction=direction, alpha=config["de"]["alpha"],
                                    lfc_threshold=config["de"]["lfc_threshold"], min_size=settings["min_size"],
                                    max_size=settings["max_size"])
    ora = time.perf_counter() - started
    print(f"ORA: {len(tables) * len(sets) * 2} tests in {ora:.1f} s")
    gsea_total = 0.0
    for path in tables:
        if path.parent.name != "de" or not any(fnmatch(path.stem, p) for p in settings["gsea"]["contrasts"]):
            continue
        for library in settings["gsea"]["libraries"]:
            started = time.perf_counter()
            preranked_gsea(read_result_table(path), sets[library], min_size=settings["gsea"]["min_size"],
                           max_size=settings["gsea"]["max_size"], permutations=settings["gsea"]["permutations"],
                           seed=config["seed"], threads=args.threads, method=settings["gsea"]["method"],
                           sample_size=settings["gsea"]["sample_size"])
            seconds = time.perf_counter() - started
            gsea_total += seconds
            print(f"GSEA {path.stem} {library}: {seconds:.1f} s ({settings['gsea']['method']}, "
                  f"{settings['gsea']['permutations']} permutations, {args.threads} threads)")
    print(f"total: {ora + gsea_total:.1f} s (ORA {ora:.1f} s, GSEA {gsea_total:.1f} s)")


if __name__ == "__main__":
    main()
