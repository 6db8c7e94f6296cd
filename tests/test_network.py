"""STRING input, contrast subnetworks, bootstrap statistics, exports, and the planted drivers found as hubs."""

from __future__ import annotations

import gzip
import logging
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from trialrna.coexpression import (
    coexpression_modules,
    find_modules,
    scale_free_fit,
    topological_overlap,
    variance_stabilise,
)
from trialrna.contrasts import find_contrast, plan_contrasts, scope_plans
from trialrna.demo import program_names
from trialrna.errors import InputError
from trialrna.hubs import METHODS
from trialrna.network import (
    analyse_contrast,
    annotate_graph,
    baseline_hub_score,
    contrast_statistics,
    contrast_subnetwork,
    cytoscape_edges,
    hub_terms,
    plot_network,
    ppi_graph,
    split_isolated,
)
from trialrna.ppi import check_ppi_config, read_string_links, tidy_edges

LINKS = "protein1 protein2 combined_score\n9606.P1 9606.P2 950\n9606.P2 9606.P1 950\n9606.P2 9606.P3 400\n" \
        "9606.P3 9606.P4 800\n9606.P4 9606.P9 990\n"
INFO = "#string_protein_id\tpreferred_name\tprotein_size\n9606.P1\tIL6\t212\n9606.P2\tIL6R\t468\n" \
       "9606.P3\tSTAT3\t770\n9606.P4\tJAK1\t1154\n"


@pytest.fixture
def string_files(tmp_path):
    links = tmp_path / "9606.protein.links.txt.gz"
    with gzip.open(links, "wt") as handle:
        handle.write(LINKS)
    info = tmp_path / "9606.protein.info.txt"
    info.write_text(INFO)
    aliases = tmp_path / "9606.protein.aliases.txt"
    aliases.write_text("#string_protein_id\talias\tsource\n9606.P1\tIL6\tEnsembl_HGNC_symbol\n9606.P1\tIFNB2\t"
                       "Ensembl_EntrezGene_synonym\n9606.P2\tIL6R\tEnsembl_HGNC_symbol\n")
    return links, info, aliases


def test_user_string_files_with_info(string_files):
    links, info, _ = string_files
    edges = read_string_links(links=links, info=info, min_score=0.7)
    # Both directions of IL6-IL6R collapse to one edge; 400 is under the threshold; P9 has no symbol.
    assert edges.to_dict("records") == [{"gene_a": "IL6", "gene_b": "IL6R", "score": 0.95},
                                        {"gene_a": "JAK1", "gene_b": "STAT3", "score": 0.8}]


def test_user_string_files_with_aliases(string_files):
    links, _, aliases = string_files
    edges = read_string_links(links=links, aliases=aliases, min_score=0.0)
    assert edges[["gene_a", "gene_b"]].values.tolist() == [["IL6", "IL6R"]]


@pytest.mark.parametrize(("content", "message"), [
    ("protein1 protein2 combined_score\n9606.P1 9606.P2 950\n9606.P2 9606.P3 high\n",
     r"links.txt: line 3: combined_score 'high'"),
    ("protein1 protein2 combined_score\n9606.P1 9606.P2 1500\n", r"links.txt: line 2: combined_score '1500'"),
    ("protein1 protein2\n9606.P1 9606.P2\n", "links.txt: a STRING protein.links file needs the column.*combined_score"),
])
def test_bad_string_links_are_named(tmp_path, string_files, content, message):
    links = tmp_path / "links.txt"
    links.write_text(content)
    with pytest.raises(InputError, match=message):
        read_string_links(links=links, info=string_files[1], min_score=0.4)


def test_info_file_from_another_organism(tmp_path, string_files):
    links, _, _ = string_files
    info = tmp_path / "info.txt"
    info.write_text("#string_protein_id\tpreferred_name\n10090.Q1\tIl6\n")
    with pytest.raises(InputError, match="no protein id maps to a symbol"):
        read_string_links(links=links, info=info, min_score=0.4)


def test_ppi_config_checked_before_running(tmp_path, string_files):
    links, info, _ = string_files
    check_ppi_config({"links": None}, source="config.yaml")
    check_ppi_config({"links": str(links), "info": str(info), "aliases": None}, source="config.yaml")
    with pytest.raises(InputError, match="network.ppi.info or network.ppi.aliases"):
        check_ppi_config({"links": str(links), "info": None, "aliases": None}, source="config.yaml")
    with pytest.raises(InputError, match=r"network.ppi.info: file .*missing.txt does not exist"):
        check_ppi_config({"links": str(links), "info": str(tmp_path / "missing.txt"), "aliases": None},
                         source="config.yaml")


def test_bundled_string_network(caplog):
    edges = read_string_links(min_score=0.95)
    assert len(edges) > 40000 and edges["score"].min() >= 0.95
    assert (edges["gene_a"] < edges["gene_b"]).all() and not edges.duplicated(["gene_a", "gene_b"]).any()
    assert "cannot add weaker edges" not in caplog.text
    with caplog.at_level(logging.WARNING):
        read_string_links(min_score=0.4)
    assert "cannot add weaker edges" in caplog.text


def test_subnetwork_isolated_nodes_and_first_neighbours():
    ppi = ppi_graph(tidy_edges(pd.DataFrame({"gene_a": ["A", "B", "C", "E"], "gene_b": ["B", "C", "D", "F"],
                                             "score": [0.9, 0.95, 0.99, 0.9]})))
    graph = contrast_subnetwork(ppi, ["A", "B", "D", "E", "NOT_IN_STRING"])
    connected, isolated = split_isolated(graph)
    assert sorted(connected.edges()) == [("A", "B")]
    assert isolated == ["D", "E"]
    wider = contrast_subnetwork(ppi, ["A", "D"], first_neighbours=True)
    assert sorted(wider.nodes) == ["A", "B", "C", "D"]
    assert nx.get_node_attributes(wider, "seed") == {"A": True, "B": False, "C": False, "D": True}


def test_network_exports_are_the_same_under_any_hash_seed(tmp_path):
    """Node and edge order of the exports must not follow Python's per-process string hashing."""
    script = """
import sys
import pandas as pd
from trialrna.network import contrast_subnetwork, cytoscape_edges, ppi_graph, split_isolated
from trialrna.tables import read_table
ppi = ppi_graph(pd.DataFrame({"gene_a": [f"G{i}" for i in range(60)] + ["G1", "G7"],
                              "gene_b": [f"G{i + 1}" for i in range(60)] + ["G30", "G44"], "score": 0.9}))
graph, _ = split_isolated(contrast_subnetwork(ppi, [f"G{i}" for i in range(0, 60, 2)] + ["G1", "G30", "G31"]))
hubs = pd.DataFrame({"symbol": list(graph.nodes), "log2FoldChange": 1.0, "padj": 0.01, "consensus_rank": 1,
                     "module": "M1"})
print(list(graph.nodes), list(graph.edges))
print(cytoscape_edges(graph, hubs).to_csv())
"""
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1 and "G30" in outputs.pop()


def test_contrast_statistics_match_statsmodels():
    rng = np.random.default_rng(2)
    design = pd.DataFrame({"Intercept": 1.0, "group": np.repeat([0.0, 1.0], 6), "x": rng.normal(size=12)},
                          index=[f"s{i}" for i in range(12)])
    expression = pd.DataFrame(rng.normal(size=(5, 12)), index=[f"g{i}" for i in range(5)], columns=design.index)
    contrast = np.array([0.0, 1.0, -0.5])
    weights = rng.integers(0, 3, 12).astype(float)
    weights[:2] = 1  # keep both groups
    ours = contrast_statistics(expression, design, contrast, weights=weights)
    kept = weights > 0
    for gene in expression.index:
        fit = sm.WLS(expression.loc[gene].to_numpy()[kept], design.to_numpy()[kept], weights=weights[kept]).fit()
        # statsmodels' WLS uses n - p residual df; a bootstrap duplicate is a whole observation, so scale to sum(w).
        scale = np.sqrt((weights[kept].sum() - 3) / (kept.sum() - 3))
        assert ours[gene] == pytest.approx(float(np.ravel(fit.t_test(contrast).tvalue)[0]) * scale)


def test_contrast_statistics_refuse_an_inestimable_contrast():
    design = pd.DataFrame({"Intercept": 1.0, "group": [0.0, 0.0, 1.0, 1.0]}, index=list("abcd"))
    expression = pd.DataFrame(np.arange(8.0).reshape(2, 4), columns=list("abcd"))
    assert contrast_statistics(expression, design, np.array([0.0, 1.0]), weights=np.array([1, 2, 0, 0])) is None


def test_hub_terms_and_exports(tmp_path):
    graph = nx.Graph([("IL6", "IL1B"), ("IL1B", "TNF"), ("TNF", "IL6"), ("TNF", "CXCL8")])
    nx.set_edge_attributes(graph, 0.9, "score")
    de = pd.DataFrame({"gene_id": ["E1", "E2", "E3", "E4"], "symbol": ["IL6", "IL1B", "TNF", "CXCL8"],
                       "log2FoldChange": [-1.0, -2.0, 0.5, -0.3], "padj": [0.01, 0.001, 0.02, 0.04]})
    ora = {("GO_BP", "down"): pd.DataFrame({"term": ["inflammatory response", "angiogenesis"],
                                            "id": ["GO:0006954", "GO:0001525"], "genes": ["IL1B,IL6", "CXCL8"],
                                            "padj": [0.001, 0.2]})}
    terms = hub_terms(["IL1B", "TNF", "CXCL8"], ora, alpha=0.05)
    assert terms[["symbol", "term"]].values.tolist() == [["IL1B", "inflammatory response"]]
    from trialrna.network import hub_table
    hubs = hub_table(graph, de, seed=1, modules=pd.Series({"E1": "M1", "E3": "M2"}), epc_networks=20)
    assert hubs["symbol"].iloc[0] == "TNF"  # the only node touching all others
    assert set(METHODS) <= set(hubs.columns) and {"consensus_rank", "stability", "module"} <= set(hubs.columns)
    annotated = annotate_graph(graph, hubs)
    nx.write_graphml(annotated, tmp_path / "net.graphml")
    back = nx.read_graphml(tmp_path / "net.graphml")
    assert back.nodes["IL1B"]["log2FoldChange"] == -2.0 and back.nodes["IL6"]["module"] == "M1"
    assert back.nodes["CXCL8"]["module"] == ""
    edges = cytoscape_edges(annotated, hubs)
    assert {"source", "target", "interaction", "score", "source_log2FoldChange", "target_consensus_rank",
            "target_module"} <= set(edges.columns)
    assert len(edges) == 4
    plot_network(annotated, hubs, tmp_path / "net.png", title="test")
    plot_network(nx.Graph(), hubs.iloc[:0], tmp_path / "empty.png", title="empty")
    assert (tmp_path / "net.png").stat().st_size > 0 and (tmp_path / "empty.png").stat().st_size > 0


def test_a_contrast_without_significant_genes_gives_empty_headed_outputs(tmp_path):
    de = pd.DataFrame({"gene_id": ["E1", "E2"], "symbol": ["IL6", "TNF"], "log2FoldChange": [0.1, -0.1],
                       "pvalue": [0.5, 0.6], "padj": [0.9, 0.9]})
    result = analyse_contrast(de, pd.DataFrame({"gene_a": ["IL6"], "gene_b": ["TNF"], "score": [0.9]}),
                              expression=pd.DataFrame(), genes=de[["gene_id", "symbol"]], design=pd.DataFrame(),
                              contrast=np.array([1.0]), patients=pd.Series(dtype=str), modules=None, ora={},
                              alpha=0.05, lfc_threshold=0.0, term_alpha=0.05, first_neighbours=False, n_top=10,
                              n_bootstrap=10, seed=1)
    assert result["hubs"].empty and set(METHODS) <= set(result["hubs"].columns)
    assert result["unconnected"].empty and result["replicates"] == 0
    edges = cytoscape_edges(result["graph"], result["hubs"])
    assert edges.empty and {"source", "target", "source_log2FoldChange"} <= set(edges.columns)
    nx.write_graphml(result["graph"], tmp_path / "empty.graphml")
    # The hub score of an empty table, as read back from disk, is empty too.
    result["hubs"].to_csv(tmp_path / "hubs.tsv", sep="\t", index=False)
    assert baseline_hub_score(pd.DataFrame(), pd.DataFrame(), pd.read_csv(tmp_path / "hubs.tsv", sep="\t"), n_top=10,
                              baseline="baseline").empty


def test_baseline_hub_score_by_hand():
    metadata = pd.DataFrame({"sample": ["s1", "s2", "s3", "s4"], "patient": ["p1", "p2", "p3", "p1"],
                             "timepoint": pd.Categorical(["baseline"] * 3 + ["end"], categories=["baseline", "end"])})
    expression = pd.DataFrame([[1.0, 2.0, 3.0, 9.0], [5.0, 5.0, 8.0, 0.0]], index=["E1", "E2"],
                              columns=["s1", "s2", "s3", "s4"])
    hubs = pd.DataFrame({"gene_id": ["E1", "E2"], "consensus_rank": [1, 2], "log2FoldChange": [-1.0, 2.0]})
    # Baseline z-scores: E1 (1, 2, 3) -> (-1, 0, 1); E2 (5, 5, 8) -> mean 6, sd sqrt(3) -> (-1, -1, 2)/sqrt(3).
    # Signs -sign(log2FC): E1 +1, E2 -1. Score = mean of E1's z and minus E2's z.
    score = baseline_hub_score(expression, metadata, hubs, n_top=2, baseline="baseline")
    expected = (np.array([-1.0, 0.0, 1.0]) - np.array([-1.0, -1.0, 2.0]) / np.sqrt(3)) / 2
    assert score.index.tolist() == ["p1", "p2", "p3"] and np.allclose(score.to_numpy(), expected)


@pytest.fixture(scope="module")
def planted_network(planted_cohort, longitudinal_tables):
    counts, genes, truth, metadata = planted_cohort
    fit, contrast = find_contrast(scope_plans(metadata, covariates=["arm"], per_arm=False),
                                  "interaction_end_of_treatment")
    expression = variance_stabilise(counts, n_cpus=1)
    return analyse_contrast(
        longitudinal_tables["interaction_end_of_treatment"], read_string_links(min_score=0.9),
        expression=expression, genes=genes, design=fit.design, contrast=contrast.vector(list(fit.design.columns)),
        patients=metadata.set_index("sample")["patient"], modules=None, ora={}, alpha=0.05, lfc_threshold=0.0,
        term_alpha=0.05, first_neighbours=False, n_top=10, n_bootstrap=30, seed=3, epc_networks=200)


def test_planted_drivers_are_top_hubs_of_the_interaction_contrast(planted_cohort, planted_network):
    truth = planted_cohort[2]
    drivers = set(truth.loc[truth["driver"], "symbol"])
    hubs = planted_network["hubs"]
    top = set(hubs.nsmallest(10, "consensus_rank")["symbol"])
    assert len(drivers & top) >= 3, (drivers, hubs.head(10))
    # The bootstrap finds them again in most replicates; stability is a fraction.
    assert planted_network["replicates"] == 30
    assert hubs["stability"].between(0, 1).all()
    assert hubs.set_index("symbol").loc[sorted(drivers & top), "stability"].mean() >= 0.5
    # Every significant gene is either in the network or reported as unconnected.
    unconnected = planted_network["unconnected"]
    assert set(unconnected["status"]) <= {"isolated", "not in STRING"}
    assert not set(unconnected["symbol"]) & set(hubs["symbol"])


def test_find_contrast_resolves_result_paths(planted_cohort):
    metadata = planted_cohort[3]
    plans = scope_plans(metadata, covariates=["arm"], per_arm=True)
    fit, contrast = find_contrast(plans, "interaction_end_of_treatment")
    assert fit.name == "longitudinal" and contrast.name == "interaction_end_of_treatment"
    arm = sorted(metadata["arm"].unique())[0]
    fit, contrast = find_contrast(plans, f"arm_{arm}/response_baseline")
    assert fit.name == "cross_sectional_baseline" and "arm" not in fit.design.columns
    assert find_contrast(plans, "lrt_time_by_response")[1] is None
    assert plan_contrasts(metadata).fit("longitudinal").lrt_name == "lrt_time_by_response"


def test_topological_overlap_by_hand():
    # Three genes, a_12 = 1, a_13 = 0.5, a_23 = 0. TOM_12 = (a_13 a_32 + a_12) / (min(k_1, k_2) + 1 - a_12)
    # = (0 + 1) / (min(1.5, 1) + 1 - 1) = 1; TOM_13 = (a_12 a_23 + a_13) / (min(1.5, 0.5) + 1 - 0.5) = 0.5 / 1;
    # TOM_23 = (a_21 a_13 + 0) / (min(1, 0.5) + 1 - 0) = 0.5 / 1.5.
    adjacency = np.array([[1, 1, 0.5], [1, 1, 0], [0.5, 0, 1]])
    tom = topological_overlap(adjacency)
    assert tom[0, 1] == pytest.approx(1.0) and tom[0, 2] == pytest.approx(0.5)
    assert tom[1, 2] == pytest.approx(1 / 3) and np.allclose(np.diag(tom), 1)


def test_scale_free_fit_of_an_exact_power_law():
    # Connectivities 1..10 with 2520/k nodes each: one value per equal-width bin, log10 p(k) = c - log10 k exactly,
    # so the fit is perfect with slope -1 and the signed R^2 is +1 (WGCNA's sign: -sign(slope) R^2).
    connectivity = np.repeat(np.arange(1.0, 11.0), [2520 // k for k in range(1, 11)])
    r2, slope = scale_free_fit(connectivity)
    assert r2 == pytest.approx(1.0) and slope == pytest.approx(-1.0)
    # An empty bin enters at p = 1e-9 (WGCNA's rule), which spoils the fit.
    gapped = connectivity[connectivity != 5]
    assert scale_free_fit(gapped)[0] < 0.9


def test_planted_programme_forms_a_module_tied_to_response(planted_cohort, caplog):
    counts, genes, truth, metadata = planted_cohort
    expression = variance_stabilise(counts, n_cpus=1)
    tables = coexpression_modules(expression, metadata, symbols=genes.set_index("gene_id")["symbol"], n_genes=1000,
                                  powers=list(range(1, 13)), network_type="unsigned", r2_cut=0.85,
                                  min_module_size=20)
    modules = tables["modules"]
    resistance = set(truth.loc[truth["program"].isin(program_names("resistance")), "gene_id"])
    planted_modules = modules[modules["gene_id"].isin(resistance)]["module"].value_counts()
    best = planted_modules.index[0]
    assert best != "M0" and planted_modules.iloc[0] >= 0.5 * len(resistance & set(modules["gene_id"]))
    traits = tables["module_traits"].set_index(["module", "trait"])
    assert traits.loc[(best, "response"), "p"] < 1e-3
    # Module hubs: high kME within the module.
    assert modules.loc[modules["module"] == best, "kME"].max() > 0.8
    assert tables["soft_threshold"]["chosen"].sum() == 1
    with caplog.at_level(logging.WARNING):
        few = expression.iloc[:, :12]
        coexpression_modules(few, metadata, symbols=genes.set_index("gene_id")["symbol"], n_genes=300,
                             powers=[1, 2, 3, 4, 5, 6], network_type="signed", r2_cut=0.85, min_module_size=20)
    assert "WGCNA advises at least 15" in caplog.text


def test_modules_are_deterministic(planted_cohort):
    counts = planted_cohort[0]
    expression = variance_stabilise(counts, n_cpus=1)
    first = find_modules(expression.iloc[:400], power=4, network_type="unsigned", min_module_size=20)
    assert first.equals(find_modules(expression.iloc[:400], power=4, network_type="unsigned", min_module_size=20))
