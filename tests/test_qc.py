"""Sample QC tables: library sizes, detected genes and the top-gene share guard."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from trialrna.qc import library_stats, plot_correlation_heatmap, plot_library_stats, sample_correlation
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


def test_qc_figures_draw_samples_without_a_response_group(tmp_path):
    """NE patients have no group: their colour bar cells are grey, not a colour name imshow cannot read."""
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.poisson(50, size=(40, 6)), index=[f"G{i}" for i in range(40)],
                        columns=[f"S{i}" for i in range(6)])
    metadata = pd.DataFrame({"sample": data.columns, "timepoint": pd.Categorical(["baseline", "on_treatment"] * 3),
                             "group": ["responder", "non_responder", None] * 2, "arm": ["a"] * 6,
                             "patient": ["P1", "P1", "P2", "P2", "P3", "P3"]})
    plot_correlation_heatmap(sample_correlation(data, n_top_genes=40), metadata, tmp_path / "heatmap.png")
    plot_library_stats(library_stats(data), metadata, tmp_path / "libraries.png")
    assert (tmp_path / "heatmap.png").stat().st_size > 0 and (tmp_path / "libraries.png").stat().st_size > 0
