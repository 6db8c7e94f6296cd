"""The tables layer: every result table is written here, tab-separated with one float format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Eight significant digits: p-values and fold changes keep their precision, files stay diffable.
FLOAT_FORMAT = "%.8g"


def write_table(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Write a table as TSV (``index`` for tables keyed by their index, such as genes x samples)."""
    table.to_csv(path, sep="\t", index=index, float_format=FLOAT_FORMAT)


def read_table(path: str | Path, **options) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (``options`` go to :func:`pandas.read_csv`)."""
    return pd.read_csv(path, sep="\t", **options)


def read_expression(path: str | Path) -> pd.DataFrame:
    """Read an expression table written by the ``network_vst`` rule (genes x samples)."""
    return read_table(path, index_col="gene_id", dtype={"gene_id": str})


def write_result_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a DE result table, genes ordered by p-value (missing last)."""
    write_table(table.sort_values(["pvalue", "gene_id"], na_position="last", kind="stable"), path)


def read_result_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_result_table` (gene ids and symbols stay text)."""
    return read_table(path, dtype={"gene_id": str, "symbol": str})
