"""Sample QC tables: library sizes, detected genes and the top-gene share guard."""

from __future__ import annotations

import logging

import pandas as pd

from trialrna.qc import library_stats
from trialrna.report import dominated_samples

GENES = pd.DataFrame({"gene_id": ["ENSG00000244734", "ENSG00000141510", "G3"], "symbol": ["HBB", "TP53", "G3"]})


def counts():
    return pd.DataFrame({"S1": [10, 20, 70], "S2": [700, 200, 100], "S3": [0, 0, 5]},
                        index=pd.Index(GENES["gene_id"], name="gene_id"))


def test_library_stats_top_gene_share():
    stats = library_stats(counts(), genes=GENES)
    assert list(stats.columns) == ["sample", "library_size", "detected_genes", "top_gene", "top_symbol",
                                   "top_gene_share", "dominated"]
    assert stats["library_size"].tolist() == [100, 1000, 5]
    assert stats["detected_genes"].tolist() == [3, 3, 1]
    assert stats["top_gene"].tolist() == ["G3", "ENSG00000244734", "G3"]
    assert stats["top_symbol"].tolist() == ["G3", "HBB", "G3"]
    assert stats["top_gene_share"].tolist() == [0.7, 0.7, 1.0]


def test_dominated_samples_are_flagged_and_logged(caplog):
    with caplog.at_level(logging.WARNING):
        stats = library_stats(counts(), genes=GENES, max_gene_share=0.75)
    assert stats["dominated"].tolist() == [False, False, True]
    assert "sample S3: its top gene G3 takes 100% of the library (qc.max_gene_share 75%)" in caplog.text
    assert library_stats(counts(), genes=GENES)["dominated"].tolist() == [True, True, True]  # default 0.5


def test_report_lists_dominated_samples_with_gene_and_share():
    table = dominated_samples(library_stats(counts(), genes=GENES, max_gene_share=0.6))
    assert table.to_dict("records") == [
        {"sample": "S1", "top gene": "G3", "gene id": "G3", "share of library": "70%"},
        {"sample": "S2", "top gene": "HBB", "gene id": "ENSG00000244734", "share of library": "70%"},
        {"sample": "S3", "top gene": "G3", "gene id": "G3", "share of library": "100%"},
    ]
    assert dominated_samples(library_stats(counts(), max_gene_share=1.0)).empty
