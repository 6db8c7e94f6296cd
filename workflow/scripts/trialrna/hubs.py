"""Hub genes of an interaction network by the eleven cytoHubba methods (Chin et al., BMC Syst Biol 2014).

Definitions, for a node v of an undirected graph G = (V, E), N(v) its neighbours, C(v) its connected component and
dist the shortest-path length:

- Degree: |N(v)|.
- MCC: sum of (|C| - 1)! over the maximal cliques C that contain v (equals the degree when no two neighbours touch).
- MNC: number of nodes of MCN(v), the largest connected component of the subgraph induced by N(v) (v excluded).
- DMNC: |E(MCN(v))| / |V(MCN(v))| ** epsilon, epsilon = 1.7.
- EPC: mean, over reduced networks that keep each edge with probability 1 - threshold (threshold 0.5, 1,000
  networks), of the number of nodes connected to v (v included). Random: seeded.
- BottleNeck: number of roots s != v whose shortest-path tree T_s puts more than |V(T_s)| / 4 nodes at or below v
  (the tree takes, for each node, its lowest-ordered predecessor).
- EcCentricity: 1 / max dist(v, w) over w in C(v).
- Closeness: sum of 1 / dist(v, w) over w != v (unreachable nodes add 0).
- Radiality: sum over w in C(v), w != v, of (diameter(G) + 1 - dist(v, w)), divided by |V| - 1.
- Betweenness: sum over unordered pairs s, t (both != v) of the fraction of shortest s-t paths through v.
- Stress: sum over unordered pairs s, t (both != v) of the number of shortest s-t paths through v.

The six shortest-path measures come from one breadth-first pass per block of sources, written as sparse matrix
products (every source of a block advances one level per product), so a 2,000-node network takes seconds;
tests check them against networkx, igraph and brute-force path enumeration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

METHODS = ("MCC", "DMNC", "MNC", "Degree", "EPC", "BottleNeck", "EcCentricity", "Closeness", "Radiality",
           "Betweenness", "Stress")
DMNC_EPSILON = 1.7


def _adjacency(graph: nx.Graph, nodes: Sequence[str]) -> sparse.csr_matrix:
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=list(nodes), weight=None, format="csr", dtype=float)
    adjacency = sparse.csr_matrix(adjacency)
    adjacency.setdiag(0)
    adjacency.eliminate_zeros()
    adjacency.sort_indices()
    return adjacency


def _bottleneck_counts(distance: np.ndarray, adjacency: sparse.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """For each node, the number of sources whose shortest-path tree has more than a quarter of its nodes below it."""
    block, n = distance.shape
    rows = np.arange(block)
    parent = np.full((block, n), -1, dtype=np.int64)
    for node in range(n):
        neighbours = adjacency.indices[adjacency.indptr[node]:adjacency.indptr[node + 1]]
        if len(neighbours) == 0:
            continue
        # Neighbours are sorted, so argmax finds the lowest-ordered predecessor (one level closer to the source).
        predecessor = distance[:, neighbours] == (distance[:, node] - 1)[:, None]
        has = predecessor.any(axis=1)
        parent[has, node] = neighbours[predecessor[has].argmax(axis=1)]
    below = np.where(np.isfinite(distance), 1.0, 0.0)
    depth = np.where(np.isfinite(distance), distance, -1).astype(np.int64)
    for level in range(int(depth.max()), 0, -1):
        at_level = np.nonzero(depth == level)
        flat = at_level[0] * n + parent[at_level]
        below += np.bincount(flat, weights=below[at_level], minlength=block * n).reshape(block, n)
    tree_size = below[rows, sources]
    is_bottleneck = below > tree_size[:, None] / 4.0
    is_bottleneck[rows, sources] = False
    return is_bottleneck.sum(axis=0)


def shortest_path_scores(graph: nx.Graph, *, nodes: Sequence[str] | None = None, block_size: int = 256,
                         adjacency: sparse.csr_matrix | None = None) -> pd.DataFrame:
    """BottleNeck, EcCentricity, Closeness, Radiality, Betweenness and Stress of every node.

    Parameters
    ----------
    graph
        Undirected, unweighted graph.
    nodes
        Node order of the result (default: sorted node names); BottleNeck's tie-break follows it.
    block_size
        Sources processed together; memory grows as ``block_size * len(nodes)``.
    adjacency
        The graph's adjacency matrix in ``nodes`` order, if the caller has it.
    """
    nodes = sorted(graph.nodes) if nodes is None else list(nodes)
    n = len(nodes)
    adjacency = _adjacency(graph, nodes) if adjacency is None else adjacency
    scores = {name: np.zeros(n) for name in ("BottleNeck", "Closeness", "Betweenness", "Stress")}
    farthest = np.zeros(n)
    distance_sum = np.zeros(n)
    reachable = np.zeros(n)
    for start in range(0, n, block_size):
        sources = np.arange(start, min(start + block_size, n))
        rows = np.arange(len(sources))
        distance = np.full((len(sources), n), np.inf)
        paths = np.zeros((len(sources), n))  # sigma: number of shortest paths from each source
        distance[rows, sources] = 0
        paths[rows, sources] = 1
        frontier = paths.copy()
        level = 0
        while True:
            reached = np.asarray(adjacency.T @ frontier.T).T  # paths into each node from the current level
            new = (reached > 0) & np.isinf(distance)
            if not new.any():
                break
            level += 1
            distance[new] = level
            paths[new] = reached[new]
            frontier = np.where(new, reached, 0.0)
        # Brandes' dependency (betweenness) and the count of continuations below each node (stress),
        # accumulated from the deepest level back to the sources.
        dependency = np.zeros_like(paths)
        continuations = np.zeros_like(paths)
        for depth in range(level - 1, 0, -1):
            child = distance == depth + 1
            with np.errstate(divide="ignore", invalid="ignore"):
                weight = np.where(child, (1.0 + dependency) / paths, 0.0)
            at_depth = distance == depth
            dependency = np.where(at_depth, paths * np.asarray(adjacency.T @ weight.T).T, dependency)
            onward = np.where(child, 1.0 + continuations, 0.0)
            continuations = np.where(at_depth, np.asarray(adjacency.T @ onward.T).T, continuations)
        scores["Betweenness"] += dependency.sum(axis=0)
        scores["Stress"] += (paths * continuations).sum(axis=0)
        scores["BottleNeck"] += _bottleneck_counts(distance, adjacency, sources)
        finite = np.isfinite(distance) & (distance > 0)
        with np.errstate(divide="ignore"):
            scores["Closeness"][sources] = np.where(finite, 1.0 / distance, 0.0).sum(axis=1)
        farthest[sources] = np.where(finite, distance, 0).max(axis=1)
        distance_sum[sources] = np.where(finite, distance, 0).sum(axis=1)
        reachable[sources] = finite.sum(axis=1)
    # Each unordered pair was counted from both ends.
    scores["Betweenness"] /= 2
    scores["Stress"] /= 2
    diameter = farthest.max() if n else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        scores["EcCentricity"] = np.where(farthest > 0, 1.0 / farthest, 0.0)
        scores["Radiality"] = ((diameter + 1) * reachable - distance_sum) / max(n - 1, 1)
    return pd.DataFrame(scores, index=pd.Index(nodes, name="node"))[
        ["BottleNeck", "EcCentricity", "Closeness", "Radiality", "Betweenness", "Stress"]]


def maximal_clique_centrality(graph: nx.Graph) -> pd.Series:
    """MCC: sum of (|C| - 1)! over the maximal cliques containing each node (exact integers, returned as float)."""
    total = dict.fromkeys(graph.nodes, 0)
    for clique in nx.find_cliques(graph):
        weight = math.factorial(len(clique) - 1)
        for node in clique:
            total[node] += weight
    return pd.Series({node: float(value) for node, value in total.items()}, name="MCC")


def _components_within(adjacency: Mapping[str, Mapping[str, object]], members: set[str]) -> list[set[str]]:
    """Connected components of the subgraph induced by ``members`` (a search over the adjacency dicts: networkx's
    subgraph views cost more than the search itself on these small neighbourhoods)."""
    seen: set[str] = set()
    components = []
    for start in members:
        if start in seen:
            continue
        seen.add(start)
        component, stack = {start}, [start]
        while stack:
            for neighbour in adjacency[stack.pop()]:
                if neighbour in members and neighbour not in seen:
                    seen.add(neighbour)
                    component.add(neighbour)
                    stack.append(neighbour)
        components.append(component)
    return components


def neighbourhood_component_scores(graph: nx.Graph, *, epsilon: float = DMNC_EPSILON) -> pd.DataFrame:
    """MNC and DMNC from the largest connected component of each node's neighbourhood (node excluded)."""
    adjacency = graph.adj
    rows = {}
    for node in graph.nodes:
        neighbours = set(adjacency[node]) - {node}
        if not neighbours:
            rows[node] = (0, 0.0)
            continue
        largest = max(_components_within(adjacency, neighbours), key=lambda c: (len(c), sorted(c)))
        edges = sum(1 for a in largest for b in adjacency[a] if b in largest and a <= b)
        rows[node] = (len(largest), edges / len(largest) ** epsilon)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["MNC", "DMNC"])


def edge_percolated_component(graph: nx.Graph, *, nodes: Sequence[str] | None = None, threshold: float = 0.5,
                              n_networks: int = 1000, seed: int, block_draws: int = 1_000_000,
                              adjacency: sparse.csr_matrix | None = None) -> pd.Series:
    """EPC: mean size of each node's connected component over ``n_networks`` randomly thinned networks.

    The thinned networks of a block (about ``block_draws`` edge draws) are copies of the node set in one
    block-diagonal graph, so one connected-components pass labels them all; the random draws follow the same
    stream as one network at a time. ``adjacency``: the graph's, in ``nodes`` order, if the caller has it.
    """
    nodes = sorted(graph.nodes) if nodes is None else list(nodes)
    n = len(nodes)
    upper = sparse.triu(_adjacency(graph, nodes) if adjacency is None else adjacency, k=1).tocoo()
    block = max(1, block_draws // max(upper.nnz, 1))
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    for start in range(0, n_networks, block):
        copies = min(block, n_networks - start)
        copy, edge = np.nonzero(rng.random((copies, upper.nnz)) >= threshold)
        thinned = sparse.coo_matrix((np.ones(len(edge)), (upper.row[edge] + copy * n, upper.col[edge] + copy * n)),
                                    shape=(copies * n, copies * n))
        _, labels = connected_components(thinned, directed=False)
        total += np.bincount(labels)[labels].reshape(copies, n).sum(axis=0)
    return pd.Series(total / n_networks, index=pd.Index(nodes, name="node"), name="EPC")


def hub_scores(graph: nx.Graph, *, seed: int, epc_networks: int = 1000, epc_threshold: float = 0.5) -> pd.DataFrame:
    """All eleven cytoHubba scores, one row per node (sorted by name), columns in :data:`METHODS` order."""
    nodes = sorted(graph.nodes)
    adjacency = _adjacency(graph, nodes)
    scores = pd.concat([
        maximal_clique_centrality(graph),
        neighbourhood_component_scores(graph),
        pd.Series(dict(graph.degree()), name="Degree", dtype=float),
        edge_percolated_component(graph, nodes=nodes, threshold=epc_threshold, n_networks=epc_networks, seed=seed,
                                  adjacency=adjacency),
        shortest_path_scores(graph, nodes=nodes, adjacency=adjacency),
    ], axis=1).reindex(nodes)
    scores.index.name = "node"
    return scores[list(METHODS)]


def _descending_min_ranks(values: np.ndarray) -> np.ndarray:
    """Per column, 1 + the number of larger values (pandas' ``rank(ascending=False, method="min")``; NaN kept)."""
    ranks = np.full(values.shape, np.nan)
    for column in range(values.shape[1]):
        present = ~np.isnan(values[:, column])
        kept = values[present, column]
        ranks[present, column] = len(kept) - np.searchsorted(np.sort(kept), kept, side="right") + 1
    return ranks


def consensus_ranking(scores: pd.DataFrame) -> pd.DataFrame:
    """Per-method ranks (1 = most central, ties share the best rank), their mean, and the consensus rank.

    The consensus orders nodes by mean rank, breaking ties by degree and then name, so it is a strict order.
    (numpy rather than pandas' rank and sort: the bootstrap ranks hundreds of networks per contrast.)
    """
    ranks = _descending_min_ranks(scores.to_numpy(float))
    mean_rank = np.nanmean(ranks, axis=1) if len(ranks) else np.zeros(0)
    order = np.lexsort((scores.index.to_numpy(str), -scores["Degree"].to_numpy(float), mean_rank))
    consensus = np.empty(len(order), dtype=np.int64)
    consensus[order] = np.arange(1, len(order) + 1)
    table = pd.DataFrame(ranks, index=scores.index, columns=[f"{column}_rank" for column in scores.columns])
    return table.assign(mean_rank=mean_rank, consensus_rank=consensus)


def top_hubs(graph: nx.Graph, *, n_top: int, seed: int, epc_networks: int = 1000) -> list[str]:
    """The ``n_top`` nodes of the consensus ranking (isolated nodes excluded)."""
    # A copy, not a view: every score walks the neighbours many times, and a view filters them on each walk.
    connected = graph.subgraph([node for node, degree in graph.degree() if degree > 0]).copy()
    if connected.number_of_nodes() == 0:
        return []
    ranking = consensus_ranking(hub_scores(connected, seed=seed, epc_networks=epc_networks))
    return ranking.nsmallest(n_top, "consensus_rank").index.tolist()
