"""Time one hub job of the network stage (all contrasts of one scope) on a finished run, outside Snakemake.

    .venv/bin/python benchmarks/network_stage.py RESULTS_PARENT [--scope arm_eribulin/] [--out DIR]

RESULTS_PARENT is the folder holding a finished run's ``results/`` (e.g. the demo's working directory from
``benchmarks/workflow.py --keep``). The job's inputs are found through the workflow's layout and its options are
the workflow's defaults (100 bootstrap replicates, 1,000 EPC networks, STRING >= 0.9); the outputs go to ``--out``
(a temporary folder by default), never into the run. Prints the import time, the analysis time and the peak memory,
and, with ``--compare``, whether the hub tables, hub terms, unconnected genes, Cytoscape edges and GraphML files
are byte-identical to the run's own.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

started = time.perf_counter()
from trialrna.cohort import read_sample_metadata  # noqa: E402
from trialrna.contrasts import read_plans  # noqa: E402
from trialrna.layout import NETWORK_KINDS, RESULTS  # noqa: E402
from trialrna.network import analyse_contrasts  # noqa: E402
from trialrna.tables import read_expression, read_table  # noqa: E402

imported = time.perf_counter() - started
LIBRARIES = ("GO_BP", "GO_MF", "GO_CC", "KEGG_2021")
COMPARED_KINDS = ("hubs.tsv", "hub_terms.tsv", "unconnected.tsv", "cytoscape_edges.tsv", "graphml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--scope", default="", help="'' for the whole cohort, 'arm_<name>/' for one arm")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    os.chdir(args.run)  # the layout's paths are relative to the run's working directory
    out = args.out or Path(tempfile.mkdtemp(prefix="network_stage_"))
    out.mkdir(parents=True, exist_ok=True)
    hubs = sorted(Path(RESULTS.file("network_file", path=f"{args.scope}x", kind="hubs.tsv")).parent.glob("*.hubs.tsv"))
    paths = [args.scope + path.name.removesuffix(".hubs.tsv") for path in hubs]
    ora = [RESULTS.file("ora_table", path=path, library=library, direction=direction)
           for path in paths for library in LIBRARIES for direction in ("up", "down")]
    outputs = [out / f"{path.replace('/', '_')}.{kind}" for path in paths for kind in NETWORK_KINDS]
    start = time.perf_counter()
    analyse_contrasts(
        paths, plans=read_plans(RESULTS.file("de_plan")), tables=[RESULTS.file("de_table", path=p) for p in paths],
        ora=ora, libraries=LIBRARIES, outputs=outputs, kinds=NETWORK_KINDS,
        edges=read_table(RESULTS.file("string_edges")), expression=read_expression(RESULTS.file("vst")),
        genes=read_table(RESULTS.file("genes")),
        patients=read_sample_metadata(RESULTS.file("sample_metadata")).set_index("sample")["patient"],
        modules=read_table(RESULTS.file("modules")).set_index("gene_id")["module"], max_nodes=300, alpha=0.05,
        lfc_threshold=0.0, term_alpha=0.05, first_neighbours=False, n_top=10, n_bootstrap=100, epc_networks=1000,
        seed=20261121)
    analysed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scope {args.scope or 'whole cohort'}: {len(paths)} contrasts; imports {imported:.1f} s, analysis and "
          f"exports {analysed:.1f} s, peak {peak:.0f} MB; outputs in {out}")
    if args.compare:
        for path in paths:
            for kind in COMPARED_KINDS:
                same = filecmp.cmp(out / f"{path.replace('/', '_')}.{kind}",
                                   RESULTS.file("network_file", path=path, kind=kind), shallow=False)
                print(f"{path}.{kind}: {'identical' if same else 'DIFFERS'}")


if __name__ == "__main__":
    main()
