"""Duplicated symbols: one gene per symbol in the symbol-keyed stages, the gene id everywhere else."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from trialrna.enrich import over_representation, ranking
from trialrna.network import analyse_contrast, hub_table
from trialrna.symbols import one_gene_per_symbol

#: ARL17A is two Ensembl genes in real tables; the less expressed copy is the more significant one here.
DE = pd.DataFrame({
    "gene_id": ["ENSG00000185829", "ENSG00000228696", "ENSG00000136244", "ENSG00000125538", "ENSG00000232810"],
    "symbol": ["ARL17A", "ARL17A", "IL6", "IL1B", "TNF"],
    "baseMean": [900.0, 40.0, 500.0, 300.0, 200.0],
    "log2FoldChange": [0.1, -3.0, -1.5, -2.0, -1.0],
    "stat": [0.5, -9.0, -5.0, -6.0, -4.0],
    "pvalue": [0.6, 1e-19, 1e-7, 1e-9, 1e-5],
    "padj": [0.7, 1e-18, 1e-6, 1e-8, 1e-4],
})


def test_the_highest_expressed_gene_represents_its_symbol(caplog):
    with caplog.at_level("INFO"):
        kept = one_gene_per_symbol(DE, context="test")
    assert kept["gene_id"].tolist() == ["ENSG00000185829", "ENSG00000136244", "ENSG00000125538", "ENSG00000232810"]
    assert "test: 1 gene ids share their symbol with a higher-expressed gene and are left out" in caplog.text
    tie = pd.DataFrame({"gene_id": ["B", "A"], "symbol": ["X", "X"], "baseMean": [5.0, 5.0]})
    assert one_gene_per_symbol(tie, context="t")["gene_id"].tolist() == ["A"]


def test_enrichment_uses_one_gene_per_symbol():
    assert ranking(DE).to_dict() == {"ARL17A": 0.5, "TNF": -4.0, "IL6": -5.0, "IL1B": -6.0}
    sets = {"inflammation": ["IL6", "IL1B", "TNF", "ARL17A"]}
    down = over_representation(DE, sets, direction="down", alpha=0.05, lfc_threshold=0, min_size=1, max_size=10)
    assert down["overlap"].tolist() == [3] and down["genes"].tolist() == ["IL1B,IL6,TNF"]


def test_network_with_duplicated_symbols_and_modules_by_gene_id():
    edges = pd.DataFrame({"gene_a": ["IL6", "IL6", "IL1B", "ARL17A"], "gene_b": ["IL1B", "TNF", "TNF", "IL6"],
                          "score": [0.95, 0.95, 0.95, 0.95]})
    modules = pd.Series({"ENSG00000136244": "M1", "ENSG00000228696": "M2", "ENSG00000185829": "M3"})
    expression = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 8)), index=DE["gene_id"],
                              columns=[f"s{i}" for i in range(8)])
    result = analyse_contrast(
        DE, edges, expression=expression, genes=DE[["gene_id", "symbol"]], design=pd.DataFrame(), contrast=None,
        patients=pd.Series(dtype=str), modules=modules, ora={}, alpha=0.05, lfc_threshold=0.0, term_alpha=0.05,
        first_neighbours=False, n_top=3, n_bootstrap=0, seed=1, epc_networks=20)
    hubs = result["hubs"].set_index("symbol")
    # ARL17A's significant copy is not its symbol's representative, so ARL17A is not a significant node.
    assert set(hubs.index) == {"IL6", "IL1B", "TNF"} and hubs.loc["IL6", "module"] == "M1"
    assert hubs.index.is_unique
    graph = hub_table(nx.Graph([("ARL17A", "IL6")]), DE, seed=1, modules=modules, epc_networks=20)
    assert graph.set_index("symbol").loc["ARL17A", ["gene_id", "module"]].tolist() == ["ENSG00000185829", "M3"]
