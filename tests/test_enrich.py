"""Enrichment: ORA against scipy's hypergeometric test, pinned GO files, GSEA (hand-made ranking, gseapy), planted
pathways recovered."""

from __future__ import annotations

from pathlib import Path

import gseapy
import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, hypergeom

from trialrna.demo import planted_symbols
from trialrna.enrich import (
    GENE_SEPARATOR,
    GSEA_COLUMNS,
    collapse_redundant,
    over_representation,
    plot_running_scores,
    preranked_gsea,
    ranking,
    restrict_sets,
)
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


def test_ora_equals_gseapy_enrich(longitudinal_tables):
    """The hypergeometric test and BH are gseapy.enrich's, term for term, on a real-sized GO BP run."""
    table = longitudinal_tables["interaction_end_of_treatment"]
    go = read_gmt(GENE_SETS / "GO_BP.gmt.gz")
    ours = over_representation(table, go, direction="down", alpha=0.05, lfc_threshold=0, min_size=5,
                               max_size=500)
    background = set(table["symbol"].dropna())
    sets = restrict_sets(go, background, min_size=5, max_size=500)
    hits = sorted(set(table.loc[(table["padj"] < 0.05) & (table["log2FoldChange"] < 0), "symbol"].dropna()))
    reference = gseapy.enrich(gene_list=hits, gene_sets=sets, background=sorted(background), outdir=None,
                              no_plot=True, cutoff=1.0).results
    assert len(ours) == len(reference) > 20
    reference = reference.assign(term=reference["Term"].str.replace(r" \(GO:\d{7}\)$", "", regex=True))
    merged = ours.merge(reference, on="term", validate="one_to_one")
    np.testing.assert_allclose(merged["p"], merged["P-value"], rtol=1e-12)
    np.testing.assert_allclose(merged["padj"], merged["Adjusted P-value"], rtol=1e-12)
    assert (merged["overlap"].astype(str) + "/" + merged["size"].astype(str) == merged["Overlap"]).all()


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


def hand_ranking() -> pd.DataFrame:
    """100 genes G0..G99 with Wald statistics 50, 49, ..., -49 (G50 is 0)."""
    genes = [f"G{i}" for i in range(100)]
    return pd.DataFrame({"gene_id": genes, "symbol": genes, "stat": 50.0 - np.arange(100)})


#: "up": the top 10 genes and three low-weight genes further down; "down": the bottom 10 and two near the top.
HAND_SETS = {"up": [f"G{i}" for i in (*range(10), 60, 70, 80)], "down": [f"G{i}" for i in (20, 30, *range(90, 100))]}


@pytest.mark.parametrize("method", ["multilevel", "permutation"])
def test_gsea_sign_es_and_leading_edge_on_a_hand_made_ranking(method):
    """Worked by hand. "up": the running score peaks after the 10th gene, before any miss, at the top genes' share
    of the set's |statistic| (455 of 515); the later hits add too little to pass it. "down": the trough is just
    before G90, after the two hits G20, G30 (50 of 495) and all 88 misses, so ES = 50/495 - 1. The leading edge
    is the genes before the peak (from the bottom for "down", extreme end first)."""
    table, _ = preranked_gsea(hand_ranking(), HAND_SETS, min_size=5, max_size=50, permutations=200, seed=1,
                              threads=1, method=method)
    table = table.set_index("term")
    assert list(table.columns) == GSEA_COLUMNS[1:]
    up, down = table.loc["up"], table.loc["down"]
    assert up["es"] == pytest.approx(455 / 515, abs=1e-12) and up["nes"] > 0
    assert down["es"] == pytest.approx(50 / 495 - 1, abs=1e-12) and down["nes"] < 0
    assert up["genes"] == ",".join(f"G{i}" for i in range(10)) and up["overlap"] == 10
    assert down["genes"] == ",".join(f"G{i}" for i in range(99, 89, -1)) and down["overlap"] == 10
    assert up["size"] == 13 and down["size"] == 12
    assert up["p"] < 0.01 and down["p"] < 0.01


def test_gsea_is_the_same_for_any_thread_count_and_changes_with_the_seed():
    table, sets = small_case()
    one, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=500, seed=5, threads=1)
    two, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=500, seed=5, threads=2)
    again, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=500, seed=5, threads=2)
    other, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=500, seed=6, threads=2)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(two, again)
    assert not np.array_equal(one.sort_values("term")["p"], other.sort_values("term")["p"])


def small_case() -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """2,000 genes, 40 sets of 15-120 genes drawn towards the top, the bottom or neither end of the ranking."""
    rng = np.random.default_rng(11)
    stat = rng.normal(0, 1.5, 2000)
    genes = [f"G{i}" for i in range(2000)]
    sets = {}
    for j in range(40):
        weights = np.exp([-0.6, -0.3, 0.0, 0.0, 0.3, 0.6][j % 6] * stat)
        picked = rng.choice(2000, int(rng.integers(15, 120)), replace=False, p=weights / weights.sum())
        sets[f"S{j}"] = [genes[i] for i in picked]
    return pd.DataFrame({"gene_id": genes, "symbol": genes, "stat": stat}), sets


@pytest.mark.parametrize("method", ["multilevel", "permutation"])
def test_gsea_equals_gseapy_prerank(method):
    """trialrna calls gseapy's engine without gseapy.prerank's result frame: the numbers must be gseapy's own."""
    table, sets = small_case()
    ours, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=300, seed=5, threads=2,
                             method=method)
    theirs = gseapy.prerank(rnk=ranking(table), gene_sets=sets, min_size=10, max_size=500, permutation_num=300,
                            seed=5, threads=2, outdir=None, no_plot=True, method=method).res2d.set_index("Term")
    ours = ours.set_index("term").loc[theirs.index]
    for mine, gseapys in [("es", "ES"), ("nes", "NES"), ("p", "NOM p-val"), ("padj", "FDR q-val")]:
        np.testing.assert_array_equal(ours[mine], theirs[gseapys].astype(float))
    assert (ours["genes"] == theirs["Lead_genes"].str.replace(";", ",")).all()


def test_multilevel_agrees_with_permutation_gsea():
    """fgsea's multilevel p-values against 2,000 gene-set permutations on the same ranking (tolerances set from the
    permutation p-value's own sampling error): ES identical (same definition), NES within 5 % (both estimate the
    mean same-sign null ES from random sets), p within a factor of 2 where the permutation p is at least 0.01,
    and below 0.005 where no permutation reached the observed ES."""
    table, sets = small_case()
    multilevel, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=1000, seed=5, threads=2)
    permutation, _ = preranked_gsea(table, sets, min_size=10, max_size=500, permutations=2000, seed=5, threads=2,
                                    method="permutation")
    ml, perm = multilevel.set_index("term"), permutation.set_index("term").loc[multilevel["term"]]
    np.testing.assert_allclose(ml["es"], perm["es"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ml["nes"], perm["nes"], rtol=0.05)
    resolved = perm["p"] >= 0.01
    assert resolved.sum() >= 10 and (np.abs(np.log2(ml["p"][resolved] / perm["p"][resolved])) < 1).all()
    assert (ml["p"][perm["p"] == 0] < 0.005).all()
    assert ml["log2err"].notna().all() and perm["log2err"].isna().all()


def test_gsea_method_and_empty_library():
    with pytest.raises(ValueError, match="GSEA method 'fgsea'"):
        preranked_gsea(hand_ranking(), HAND_SETS, min_size=5, max_size=50, permutations=100, seed=1, threads=1,
                       method="fgsea")
    table, run = preranked_gsea(hand_ranking(), {"tiny": ["G1", "G2"]}, min_size=5, max_size=50, permutations=100,
                                seed=1, threads=1)
    assert table.empty and list(table.columns) == GSEA_COLUMNS and run is None


def test_running_score_figure(tmp_path):
    table, run = preranked_gsea(hand_ranking(), HAND_SETS, min_size=5, max_size=50, permutations=200, seed=1,
                                threads=1)
    plot_running_scores(run, table, tmp_path / "gsea.png", title="hand-made", alpha=0.05)
    plot_running_scores(None, table.iloc[:0], tmp_path / "none.png", title="hand-made", alpha=0.05)
    assert (tmp_path / "gsea.png").stat().st_size > 10_000 and (tmp_path / "none.png").stat().st_size > 0


def test_redundant_terms_collapse_by_gene_overlap():
    sets = {"a (GO:0000001)": list("ABCDEFGH"), "b (GO:0000002)": list("ABCDEFGX"), "c (GO:0000003)": list("PQRS")}
    table = pd.DataFrame({"term": ["a", "b", "c"], "id": ["GO:0000001", "GO:0000002", "GO:0000003"],
                          "p": [0.001, 0.002, 0.01], "genes": ["", "", ""]})
    assert collapse_redundant(table, sets)["term"].tolist() == ["a", "c"]


def test_kegg_without_blitzgsea_names_the_setting(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="enrichment.kegg is true but blitzgsea"):
        kegg_path()


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
    # GSEA of the whole ranking finds the same programmes at its bottom (higher in non-responders).
    gsea, _ = preranked_gsea(table, read_gmt(kegg_path()), min_size=15, max_size=500, permutations=1000, seed=1,
                             threads=2)
    gsea = gsea.set_index("term")
    for term in ("HIF-1 signaling pathway", "IL-17 signaling pathway"):
        assert gsea.loc[term, "nes"] < 0 and gsea.loc[term, "padj"] < 0.05
