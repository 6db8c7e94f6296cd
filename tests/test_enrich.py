"""Enrichment: ORA against scipy's hypergeometric test, pinned GO files, GSEA, planted pathways recovered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, hypergeom

from trialrna.demo import planted_symbols
from trialrna.enrich import GENE_SEPARATOR, collapse_redundant, over_representation, preranked_gsea, restrict_sets
from trialrna.errors import InputError
from trialrna.gene_sets import kegg_path, read_gmt, resolve_libraries, write_gmt
from trialrna.manifest import verify_manifest

ROOT = Path(__file__).resolve().parents[1]
GENE_SETS = ROOT / "resources/gene_sets"


def de_table(n_genes: int = 100, hits_up: tuple[int, ...] = tuple(range(10))) -> pd.DataFrame:
    """A DE table over genes G0..G{n-1}; ``hits_up`` significant and up, the rest not significant."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"gene_id": [f"G{i}" for i in range(n_genes)], "symbol": [f"G{i}" for i in range(n_genes)],
                          "log2FoldChange": rng.normal(0, 0.3, n_genes), "padj": 0.5,
                          "stat": rng.normal(0, 1, n_genes)})
    table.loc[list(hits_up), ["log2FoldChange", "padj"]] = [2.0, 0.001]
    table.loc[list(hits_up), "stat"] = 8.0 - np.arange(len(hits_up)) * 0.1
    return table


def test_ora_p_values_match_scipy_hypergeometric(tmp_path):
    sets = {"A": [f"G{i}" for i in range(4, 24)],                   # 20 genes, 6 hits (G4-G9)
            "B": [f"G{i}" for i in range(50, 80)] + ["OUTSIDE1"],    # 30 in background, no hit
            "C": [f"G{i}" for i in range(0, 12)]}                    # 12 genes, 10 hits
    write_gmt(sets, tmp_path / "hand.gmt")
    table = over_representation(de_table(), read_gmt(tmp_path / "hand.gmt"), direction="up", alpha=0.05,
                                lfc_threshold=0, min_size=10, max_size=500).set_index("term")
    # Background = the 100 genes of the DE table; 10 significant up genes.
    expected = {"A": hypergeom.sf(6 - 1, 100, 20, 10), "C": hypergeom.sf(10 - 1, 100, 12, 10)}
    for term, p in expected.items():
        assert table.loc[term, "p"] == pytest.approx(p, rel=1e-6)
    assert table.loc["A", "overlap"] == 6 and table.loc["C", "size"] == 12
    assert table.loc["A", "genes"] == "G4,G5,G6,G7,G8,G9"  # sorted, so tables are identical between runs
    # As clusterProfiler's enricher, sets without any significant gene are not reported, and BH runs over the
    # sets that are.
    assert "B" not in table.index
    ordered = table.loc[["A", "C"], "p"].to_numpy()
    np.testing.assert_allclose(table.loc[["A", "C"], "padj"], false_discovery_control(ordered), rtol=1e-6)


def test_size_limits_apply_within_the_background():
    sets = {"small": ["G1", "G2", "X1", "X2", "X3"], "ok": [f"G{i}" for i in range(20)]}
    assert list(restrict_sets(sets, {f"G{i}" for i in range(100)}, min_size=3, max_size=15)) == []
    assert list(restrict_sets(sets, {f"G{i}" for i in range(100)}, min_size=2, max_size=20)) == ["small", "ok"]


def test_no_significant_gene_is_an_empty_table_not_an_error():
    table = de_table(hits_up=())
    result = over_representation(table, {"A": [f"G{i}" for i in range(20)]}, direction="up", alpha=0.05,
                                 lfc_threshold=0, min_size=5, max_size=500)
    assert result.empty and list(result.columns) == ["term", "id", "size", "overlap", "genes", "p", "padj", "nes"]


def test_hits_outside_every_set_are_an_empty_table():
    result = over_representation(de_table(), {"A": [f"G{i}" for i in range(50, 70)]}, direction="up", alpha=0.05,
                                 lfc_threshold=0, min_size=5, max_size=500)
    assert result.empty and "padj" in result.columns


def test_gsea_is_deterministic_and_finds_the_top_ranked_set():
    sets = {"top": [f"G{i}" for i in range(15)], "random": [f"G{i}" for i in range(40, 90, 3)]}
    first, _ = preranked_gsea(de_table(hits_up=tuple(range(15))), sets, min_size=5, max_size=500,
                              permutations=200, seed=3, threads=1)
    second, _ = preranked_gsea(de_table(hits_up=tuple(range(15))), sets, min_size=5, max_size=500,
                               permutations=200, seed=3, threads=1)
    pd.testing.assert_frame_equal(first, second)
    top = first.set_index("term").loc["top"]
    assert top["nes"] > 0 and top["p"] < 0.05


def test_redundant_terms_collapse_by_gene_overlap():
    sets = {"a (GO:0000001)": list("ABCDEFGH"), "b (GO:0000002)": list("ABCDEFGX"), "c (GO:0000003)": list("PQRS")}
    table = pd.DataFrame({"term": ["a", "b", "c"], "id": ["GO:0000001", "GO:0000002", "GO:0000003"],
                          "p": [0.001, 0.002, 0.01], "genes": ["", "", ""]})
    assert collapse_redundant(table, sets)["term"].tolist() == ["a", "c"]


def test_pinned_go_files_parse_and_match_their_manifest():
    verify_manifest(GENE_SETS / "MANIFEST.tsv")
    manifest = pd.read_csv(GENE_SETS / "MANIFEST.tsv", sep="\t").set_index("file")
    for ontology in ("BP", "MF", "CC"):
        sets = read_gmt(GENE_SETS / f"GO_{ontology}.gmt.gz")
        assert len(sets) == manifest.loc[f"GO_{ontology}.gmt.gz", "n_sets"]
        assert len({g for genes in sets.values() for g in genes}) == manifest.loc[f"GO_{ontology}.gmt.gz", "n_genes"]
    angiogenesis = read_gmt(GENE_SETS / "GO_BP.gmt.gz")["angiogenesis (GO:0001525)"]
    assert {"VEGFA", "ANGPT2", "FGF2", "KDR"} <= set(angiogenesis)
    # Propagated to ancestors: a child term's genes are in its parent ("sprouting angiogenesis" is_a angiogenesis).
    sprouting = read_gmt(GENE_SETS / "GO_BP.gmt.gz")["sprouting angiogenesis (GO:0002040)"]
    assert set(sprouting) <= set(angiogenesis)
    assert manifest["release_date"].str.contains("GO 2026-01-23").all()


def test_workflow_refuses_missing_or_changed_gene_sets(tmp_path):
    gmt = tmp_path / "hallmark.gmt"
    write_gmt({"HALLMARK_ANGIOGENESIS": ["VEGFA", "KDR"]}, gmt)
    with pytest.raises(InputError, match="gene-set file not found"):
        resolve_libraries(pinned_dir=GENE_SETS, go=[], kegg=False, custom={"h": {"path": str(tmp_path / "no.gmt")}})
    with pytest.raises(InputError, match="differs from 0{64} recorded in enrichment.custom.h.sha256"):
        resolve_libraries(pinned_dir=GENE_SETS, go=[], kegg=False, custom={"h": {"path": str(gmt), "sha256": "0" * 64}})
    copied = tmp_path / "pinned"
    copied.mkdir()
    (copied / "MANIFEST.tsv").write_bytes((GENE_SETS / "MANIFEST.tsv").read_bytes())
    (copied / "GO_CC.gmt.gz").write_bytes(b"changed")
    with pytest.raises(InputError, match="GO_CC.gmt.gz: sha256 .* differs"):
        resolve_libraries(pinned_dir=copied, go=["CC"], kegg=False, custom={})
    libraries = resolve_libraries(pinned_dir=GENE_SETS, go=["BP"], kegg=True, custom={"h": {"path": str(gmt)}})
    assert list(libraries) == ["GO_BP", "KEGG_2021", "h"] and libraries["KEGG_2021"] == kegg_path()


def test_planted_pathways_come_out_in_the_right_contrast_and_direction(longitudinal_tables):
    """Non-responders raise angiogenic and neutrophil genes: enriched among interaction 'down' genes only."""
    table = longitudinal_tables["interaction_end_of_treatment"]
    go = read_gmt(GENE_SETS / "GO_BP.gmt.gz")
    options = dict(alpha=0.05, lfc_threshold=0, min_size=5, max_size=500)
    down = over_representation(table, go, direction="down", **options).set_index("id")
    up = over_representation(table, go, direction="up", **options)
    assert down.loc["GO:0001525", "padj"] < 0.05  # angiogenesis
    assert down.loc["GO:0030593", "padj"] < 0.05  # neutrophil chemotaxis
    # No planted gene carries an 'up' term. (A term resting on one unplanted gene, RBBP5, has padj 0.055 before the
    # composition genes joined the demo and 0.039 after: MME brings 'response to estrogen' to the minimum size.)
    planted = set(planted_symbols())
    significant_up = up[up["padj"] < 0.05]
    assert not any(planted & set(genes.split(GENE_SEPARATOR)) for genes in significant_up["genes"])
    kegg = over_representation(table, read_gmt(kegg_path()), direction="down", **options).set_index("term")
    assert kegg.loc["HIF-1 signaling pathway", "padj"] < 0.05
    assert kegg.loc["IL-17 signaling pathway", "padj"] < 0.05
