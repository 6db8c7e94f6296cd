"""The eleven cytoHubba methods on small graphs worked out by hand, and against networkx, igraph and brute force."""

from __future__ import annotations

import itertools
import math

import igraph
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from trialrna.hubs import (
    METHODS,
    consensus_ranking,
    edge_percolated_component,
    hub_scores,
    shortest_path_scores,
)


@pytest.fixture
def path_graph() -> nx.Graph:
    """a - b - c - d"""
    return nx.Graph([("a", "b"), ("b", "c"), ("c", "d")])


@pytest.fixture
def clique_with_tail() -> nx.Graph:
    """K4 on a, b, c, d; then a - e - f."""
    graph = nx.complete_graph(["a", "b", "c", "d"])
    graph.add_edges_from([("a", "e"), ("e", "f")])
    return graph


def test_path_graph_by_hand(path_graph):
    scores = hub_scores(path_graph, seed=1, epc_networks=50)
    # Degree: the ends have one neighbour, the middle nodes two.
    assert scores["Degree"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 1}
    # MCC: the maximal cliques are the three edges, each worth (2 - 1)! = 1, so MCC equals the degree.
    assert scores["MCC"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 1}
    # MNC/DMNC: no two neighbours of any node touch, so the largest neighbourhood component is one node, no edge.
    assert (scores["MNC"] == 1).all() and (scores["DMNC"] == 0).all()
    # Closeness (sum of 1/dist): a sees b, c, d at 1, 2, 3 -> 1 + 1/2 + 1/3 = 11/6; b sees 1, 1, 2 -> 5/2.
    assert scores.loc["a", "Closeness"] == pytest.approx(11 / 6)
    assert scores.loc["b", "Closeness"] == pytest.approx(5 / 2)
    # EcCentricity: 1 / farthest distance: a reaches d at 3, b reaches d at 2.
    assert scores.loc["a", "EcCentricity"] == pytest.approx(1 / 3)
    assert scores.loc["b", "EcCentricity"] == pytest.approx(1 / 2)
    # Radiality: diameter 3, |V| - 1 = 3; a: ((4-1) + (4-2) + (4-3)) / 3 = 2; b: ((4-1) + (4-1) + (4-2)) / 3 = 8/3.
    assert scores.loc["a", "Radiality"] == pytest.approx(2)
    assert scores.loc["b", "Radiality"] == pytest.approx(8 / 3)
    # Betweenness and Stress: b carries a-c and a-d, c carries b-d and a-d; every shortest path is unique.
    assert scores["Betweenness"].to_dict() == {"a": 0, "b": 2, "c": 2, "d": 0}
    assert scores["Stress"].to_dict() == {"a": 0, "b": 2, "c": 2, "d": 0}
    # BottleNeck: a tree of 4 nodes needs more than 1 node at or below v. Root a: b has {b,c,d}, c has {c,d};
    # root b: c has {c,d}; root c: b has {b,a}; root d: c has {c,b,a}, b has {b,a}. So b and c score 3, the ends 0.
    assert scores["BottleNeck"].to_dict() == {"a": 0, "b": 3, "c": 3, "d": 0}
    assert list(scores.columns) == list(METHODS)


def test_clique_with_tail_by_hand(clique_with_tail):
    scores = hub_scores(clique_with_tail, seed=1, epc_networks=50)
    # Maximal cliques: {a,b,c,d} worth 3! = 6, {a,e} and {e,f} worth 1! = 1 each.
    assert scores["MCC"].to_dict() == {"a": 7, "b": 6, "c": 6, "d": 6, "e": 2, "f": 1}
    # a's neighbourhood {b,c,d,e}: the triangle b-c-d is the largest component (3 nodes, 3 edges); e is alone.
    assert scores.loc["a", "MNC"] == 3
    assert scores.loc["a", "DMNC"] == pytest.approx(3 / 3 ** 1.7)
    # b's neighbourhood {a,c,d} is a triangle too; e's {a,f} and f's {e} have no edge.
    assert scores.loc["b", "DMNC"] == pytest.approx(3 / 3 ** 1.7)
    assert scores.loc["e", "MNC"] == 1 and scores.loc["e", "DMNC"] == 0
    # Betweenness/Stress: a is on the 3 x 2 paths from {b,c,d} to {e,f}; e on the 4 paths from f to {a,b,c,d}.
    assert scores["Betweenness"].to_dict() == {"a": 6, "b": 0, "c": 0, "d": 0, "e": 4, "f": 0}
    assert scores["Stress"].to_dict() == {"a": 6, "b": 0, "c": 0, "d": 0, "e": 4, "f": 0}
    ranking = consensus_ranking(scores)
    assert ranking["consensus_rank"].idxmin() == "a"
    assert sorted(ranking["consensus_rank"]) == list(range(1, 7))


def test_consensus_ranks_are_pandas_min_ranks_with_degree_then_name_tie_breaks():
    rng = np.random.default_rng(4)
    scores = pd.DataFrame(rng.integers(0, 4, size=(40, len(METHODS))).astype(float), columns=list(METHODS),
                          index=[f"g{i:02d}" for i in range(40)])
    scores.iloc[3, 2] = np.nan
    ranking = consensus_ranking(scores)
    expected = scores.rank(ascending=False, method="min")
    np.testing.assert_array_equal(ranking[[f"{m}_rank" for m in METHODS]].to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(ranking["mean_rank"], expected.mean(axis=1))
    order = (pd.DataFrame({"mean": expected.mean(axis=1), "degree": -scores["Degree"], "name": scores.index})
             .sort_values(["mean", "degree", "name"]).index)
    assert ranking["consensus_rank"].sort_values().index.tolist() == order.tolist()


def test_mcc_uses_factorials_of_large_cliques():
    graph = nx.complete_graph(12)
    graph.add_edge(0, 99)
    scores = hub_scores(nx.relabel_nodes(graph, str), seed=1, epc_networks=10)
    assert scores.loc["0", "MCC"] == math.factorial(11) + 1
    assert scores.loc["5", "MCC"] == math.factorial(11)


def test_epc_limits_and_expectation(path_graph):
    # Threshold 0 keeps every edge: every node always sees all 4 nodes; threshold 1 removes every edge.
    assert (edge_percolated_component(path_graph, threshold=0.0, n_networks=20, seed=1) == 4).all()
    assert (edge_percolated_component(path_graph, threshold=1.0, n_networks=20, seed=1) == 1).all()
    # One edge kept with probability 1/2: expected component size 1 + 1/2.
    pair = edge_percolated_component(nx.Graph([("x", "y")]), n_networks=20000, seed=3)
    assert pair.to_numpy() == pytest.approx([1.5, 1.5], abs=0.02)
    # Seeded: the same seed gives the same values.
    first = edge_percolated_component(path_graph, n_networks=100, seed=5)
    assert first.equals(edge_percolated_component(path_graph, n_networks=100, seed=5))


@pytest.fixture(scope="module")
def random_graph() -> nx.Graph:
    graph = nx.gnm_random_graph(120, 300, seed=4)
    graph.add_edges_from([(200, 201), (201, 202), (202, 200), (202, 203)])  # a second component
    return nx.relabel_nodes(graph, lambda node: f"g{node:03d}")


def test_degree_betweenness_closeness_match_igraph(random_graph):
    nodes = sorted(random_graph)
    scores = shortest_path_scores(random_graph, block_size=37)  # several source blocks
    graph = igraph.Graph.TupleList(random_graph.edges(), directed=False)
    order = [graph.vs.find(name=node).index for node in nodes]
    assert np.allclose(scores["Betweenness"].to_numpy(), np.array(graph.betweenness(directed=False))[order])
    assert np.allclose(scores["Closeness"].to_numpy(),
                       np.array(graph.harmonic_centrality(normalized=False))[order])
    degree = hub_scores(random_graph, seed=1, epc_networks=10)["Degree"]
    assert np.array_equal(degree.to_numpy(), np.array(graph.degree())[order])


def test_shortest_path_scores_match_networkx_and_path_enumeration(random_graph):
    scores = shortest_path_scores(random_graph)
    betweenness = pd.Series(nx.betweenness_centrality(random_graph, normalized=False))
    assert np.allclose(scores["Betweenness"], betweenness[scores.index])
    stress = dict.fromkeys(random_graph, 0)
    for source, target in itertools.combinations(random_graph, 2):
        if nx.has_path(random_graph, source, target):
            for path in nx.all_shortest_paths(random_graph, source, target):
                for node in path[1:-1]:
                    stress[node] += 1
    assert np.allclose(scores["Stress"], pd.Series(stress)[scores.index])
    eccentricity = {}
    for component in nx.connected_components(random_graph):
        eccentricity.update(nx.eccentricity(random_graph.subgraph(component)))
    assert np.allclose(scores["EcCentricity"], 1 / pd.Series(eccentricity)[scores.index])


def test_bottleneck_matches_a_plain_tree_walk(random_graph):
    nodes = sorted(random_graph)
    expected = dict.fromkeys(nodes, 0)
    for source in nodes:
        distance = nx.single_source_shortest_path_length(random_graph, source)
        parent = {node: min((n for n in random_graph[node] if distance.get(n) == distance[node] - 1), default=None)
                  for node in distance if node != source}
        below = dict.fromkeys(distance, 1)
        for node in sorted(parent, key=distance.get, reverse=True):
            below[parent[node]] += below[node]
        for node, size in below.items():
            if node != source and size > len(distance) / 4:
                expected[node] += 1
    assert shortest_path_scores(random_graph)["BottleNeck"].to_dict() == expected
