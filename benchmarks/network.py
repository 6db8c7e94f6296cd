"""Time the eleven cytoHubba methods on STRING subnetworks of growing size.

    .venv/bin/python benchmarks/network.py [--sizes 500 1000 2000 4000] [--epc-networks 1000] [--repeats 1]

Two kinds of subnetwork of the STRING network installed with mossn (score >= 0.9), both with the given number of
nodes: "connected", the first nodes met by a breadth-first walk from IL6 (one dense component, the hard case, like
the network of a large DE signature), and "random", genes drawn at random (seed 1; sparse, many components).
Prints nodes, edges, wall time per method group and in total, and the peak resident memory of the process.
The EPC networks are the same 1,000 as in the workflow; nothing is sampled or approximated.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.hubs import (  # noqa: E402
    consensus_ranking,
    edge_percolated_component,
    maximal_clique_centrality,
    neighbourhood_component_scores,
    shortest_path_scores,
)
from trialrna.network import ppi_graph  # noqa: E402
from trialrna.ppi import read_string_links  # noqa: E402


def subnetworks(ppi: nx.Graph, size: int) -> dict[str, nx.Graph]:
    walk = list(nx.bfs_tree(ppi, "IL6"))[:size]
    drawn = np.random.default_rng(1).choice(sorted(ppi.nodes), size=size, replace=False)
    return {"connected": ppi.subgraph(walk).copy(), "random": ppi.subgraph(drawn).copy()}


def time_methods(graph: nx.Graph, *, epc_networks: int) -> dict[str, float]:
    graph = graph.subgraph([node for node, degree in graph.degree() if degree > 0]).copy()
    timings, parts = {}, []
    steps = {
        "MCC": lambda: maximal_clique_centrality(graph),
        "MNC+DMNC": lambda: neighbourhood_component_scores(graph),
        "EPC": lambda: edge_percolated_component(graph, n_networks=epc_networks, seed=1),
        "shortest paths (6)": lambda: shortest_path_scores(graph),
    }
    for name, step in steps.items():
        start = time.perf_counter()
        parts.append(step())
        timings[name] = time.perf_counter() - start
    start = time.perf_counter()
    scores = pd.concat([*parts, pd.Series(dict(graph.degree()), name="Degree", dtype=float)], axis=1)
    consensus_ranking(scores)
    timings["Degree+consensus"] = time.perf_counter() - start
    timings["total"] = sum(timings.values())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--epc-networks", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    ppi = ppi_graph(read_string_links(min_score=0.9))
    print(f"STRING (mossn): {ppi.number_of_nodes()} genes, {ppi.number_of_edges()} edges")
    header = ["kind", "nodes", "edges", "MCC", "MNC+DMNC", "EPC", "shortest paths (6)", "Degree+consensus", "total"]
    rows = []
    for size in args.sizes:
        for kind, graph in subnetworks(ppi, size).items():
            runs = [time_methods(graph, epc_networks=args.epc_networks) for _ in range(args.repeats)]
            best = {name: min(run[name] for run in runs) for name in runs[0]}
            rows.append([kind, graph.number_of_nodes(), graph.number_of_edges(), *(best[h] for h in header[3:])])
            fields = zip(header, rows[-1], strict=True)
            print("  ".join(f"{h}={v:.2f}s" if isinstance(v, float) else f"{h}={v}" for h, v in fields), flush=True)
    table = pd.DataFrame(rows, columns=header)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
