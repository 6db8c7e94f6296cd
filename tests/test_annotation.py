"""The pinned annotation: built from an org.Hs.eg.db-shaped SQLite, committed with a matching manifest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from trialrna.annotation import build_gene_annotation
from trialrna.manifest import upsert_manifest_row, verify_manifest

ROOT = Path(__file__).resolve().parents[1]


def test_committed_annotation_matches_its_manifest():
    verify_manifest(ROOT / "resources/annotation/MANIFEST.tsv")


def test_committed_annotation_content(annotation):
    assert list(annotation.columns) == ["gene_id", "entrez_id", "symbol", "gene_type"]
    tp53 = annotation[annotation["symbol"] == "TP53"]
    assert tp53["gene_id"].tolist() == ["ENSG00000141510"] and tp53["entrez_id"].tolist() == [7157]
    assert (annotation["gene_type"] == "protein-coding").sum() > 19000


def test_build_from_org_db_sqlite(tmp_path):
    """A miniature org.Hs.eg.db with the same tables: biological-region records drop, genes lacking Ensembl stay."""
    path = tmp_path / "org.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE genes (_id INTEGER, gene_id TEXT);
            CREATE TABLE gene_info (_id INTEGER, gene_name TEXT, symbol TEXT);
            CREATE TABLE genetype (_id INTEGER, gene_type TEXT);
            CREATE TABLE ensembl (_id INTEGER, ensembl_id TEXT);
            INSERT INTO genes VALUES (1, '7157'), (2, '672'), (3, '999999');
            INSERT INTO gene_info VALUES (1, 'tumor protein p53', 'TP53'), (2, 'BRCA1 DNA repair', 'BRCA1'),
                                         (3, 'some region', 'REG1');
            INSERT INTO genetype VALUES (1, 'protein-coding'), (2, 'protein-coding'), (3, 'biological-region');
            INSERT INTO ensembl VALUES (1, 'ENSG00000141510');
        """)
    table = build_gene_annotation(path)
    assert table.to_dict("records") == [
        {"gene_id": "", "entrez_id": 672, "symbol": "BRCA1", "gene_type": "protein-coding"},
        {"gene_id": "ENSG00000141510", "entrez_id": 7157, "symbol": "TP53", "gene_type": "protein-coding"},
    ]


def test_manifest_detects_a_changed_file(tmp_path):
    data = tmp_path / "sets.gmt"
    data.write_text("A\tdesc\tG1\n")
    upsert_manifest_row(tmp_path / "MANIFEST.tsv", {"file": "sets.gmt", "sha256": "0" * 64})
    with pytest.raises(ValueError, match="sets.gmt: sha256 .* differs"):
        verify_manifest(tmp_path / "MANIFEST.tsv")
    data.unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        verify_manifest(tmp_path / "MANIFEST.tsv")
    assert pd.read_csv(tmp_path / "MANIFEST.tsv", sep="\t")["file"].tolist() == ["sets.gmt"]
