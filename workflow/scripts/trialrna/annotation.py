"""Pinned human gene annotation built from Bioconductor's org.Hs.eg.db SQLite (Debian package)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd

#: Columns of the committed annotation table.
ANNOTATION_COLUMNS = ["gene_id", "entrez_id", "symbol", "gene_type"]

# NCBI's "biological-region", "other" and "unknown" records are not transcribed genes; counts never carry them.
_KEPT_GENE_TYPES = ("protein-coding", "ncRNA", "pseudo", "rRNA", "tRNA", "snRNA", "snoRNA", "scRNA")


def build_gene_annotation(org_sqlite: str | Path) -> pd.DataFrame:
    """Read Ensembl id, Entrez id, symbol and gene type from an org.Hs.eg.db SQLite file.

    Parameters
    ----------
    org_sqlite
        Path to ``org.Hs.eg.sqlite`` as shipped in ``r-bioc-org.hs.eg.db``.

    Returns
    -------
    One row per (Ensembl id, Entrez id) pair; genes without an Ensembl id keep an empty ``gene_id``.
    Sorted by Entrez id then Ensembl id, so the file is byte-identical between builds of one release.
    """
    query = f"""
        SELECT COALESCE(e.ensembl_id, '') AS gene_id, g.gene_id AS entrez_id, i.symbol, t.gene_type
        FROM genes g
        JOIN gene_info i ON i._id = g._id
        JOIN genetype t ON t._id = g._id
        LEFT JOIN ensembl e ON e._id = g._id
        WHERE t.gene_type IN ({",".join("?" * len(_KEPT_GENE_TYPES))})
    """
    with sqlite3.connect(f"file:{org_sqlite}?mode=ro", uri=True) as con:
        table = pd.read_sql_query(query, con, params=_KEPT_GENE_TYPES)
    table["entrez_id"] = table["entrez_id"].astype(int)
    return table.sort_values(["entrez_id", "gene_id"], ignore_index=True)[ANNOTATION_COLUMNS]


def org_db_metadata(org_sqlite: str | Path) -> dict[str, str]:
    """Return the ``metadata`` table of an org.Hs.eg.db SQLite file as a dict (source dates and URLs)."""
    with sqlite3.connect(f"file:{org_sqlite}?mode=ro", uri=True) as con:
        return dict(con.execute("SELECT name, value FROM metadata").fetchall())


def read_gene_annotation(path: str | Path) -> pd.DataFrame:
    """Read the pinned annotation table written by :func:`build_gene_annotation`."""
    return pd.read_csv(path, sep="\t", dtype={"gene_id": str, "entrez_id": int}, keep_default_na=False)


def sha256sum(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
