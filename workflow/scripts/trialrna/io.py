"""Readers for count tables in the supported formats, with Ensembl-to-symbol mapping."""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from trialrna.errors import InputError

log = logging.getLogger(__name__)

CountFormat = Literal["matrix", "nfcore_salmon", "featurecounts"]

_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*G\d{11})\.\d+$")
_FEATURECOUNTS_ANNOTATION = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
_BAM_SUFFIX = re.compile(r"(\.markdup)?(\.sorted)?\.bam$")


def _header(path: Path, *, sep: str, skip_comments: bool) -> list[str]:
    with open(path, newline="") as handle:
        for row in csv.reader(handle, delimiter=sep):
            if skip_comments and row and row[0].startswith("#"):
                continue
            return row
    raise InputError(f"{path}: the file is empty; expected a header line with gene id and sample columns")


def _reject_duplicates(values: pd.Index, *, path: Path, what: str, line_offset: int | None) -> None:
    duplicated = values[values.duplicated(keep=False)]
    if len(duplicated) == 0:
        return
    names = list(dict.fromkeys(duplicated))[:5]
    where = ""
    if line_offset is not None:
        positions = np.flatnonzero(values.isin(names))[:10] + line_offset
        where = f" (lines {', '.join(map(str, positions))})"
    raise InputError(f"{path}: duplicated {what} {', '.join(map(str, names))}{where}; every {what} must appear once")


def _numeric_counts(raw: pd.DataFrame, *, path: Path, line_offset: int) -> pd.DataFrame:
    """Convert to float, naming the first non-numeric, missing or negative cell."""
    values = raw.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & raw.notna()
    for mask, problem in ((bad, "is not a number"), (raw.isna(), "is empty"), (values < 0, "is negative")):
        if mask.to_numpy().any():
            row, col = np.argwhere(mask.to_numpy())[0]
            raise InputError(
                f"{path}: count {raw.iat[row, col]!r} for gene {raw.index[row]} in sample column "
                f"{raw.columns[col]!r} (line {row + line_offset}) {problem}; counts must be non-negative numbers"
            )
    return values


def read_counts(
    path: str | Path, *, fmt: CountFormat, annotation: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a genes x samples count table in one of the supported formats.

    Parameters
    ----------
    path
        Count table: ``matrix`` (TSV or CSV, first column gene id), ``nfcore_salmon``
        (``salmon.merged.gene_counts.tsv``: gene_id, gene_name, samples) or ``featurecounts``.
    fmt
        One of ``matrix``, ``nfcore_salmon``, ``featurecounts``.
    annotation
        Pinned annotation (:func:`trialrna.annotation.read_gene_annotation`) to map Ensembl ids to symbols.

    Returns
    -------
    counts
        Integer counts, index ``gene_id`` (Ensembl version suffixes removed), columns the sample ids.
    genes
        ``gene_id``, ``symbol`` for every row of ``counts``; ids that are not Ensembl are taken as symbols.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: count table not found; check counts.path in the config")
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    skip_comments = fmt == "featurecounts"
    header = _header(path, sep=sep, skip_comments=skip_comments)
    _reject_duplicates(pd.Index(header), path=path, what="column", line_offset=None)
    table = pd.read_csv(path, sep=sep, dtype=str, comment="#" if skip_comments else None)
    # Line numbers in messages are 1-based file lines: the header is line 1 (after featureCounts' comment).
    line_offset = 2 + (1 if skip_comments and _has_comment_line(path) else 0)

    names = None
    if fmt == "matrix":
        table = table.set_index(table.columns[0])
    elif fmt == "nfcore_salmon":
        _require_columns(table, ["gene_id", "gene_name"], path=path, fmt=fmt)
        names = table.set_index("gene_id")["gene_name"]
        table = table.drop(columns="gene_name").set_index("gene_id")
    elif fmt == "featurecounts":
        _require_columns(table, _FEATURECOUNTS_ANNOTATION, path=path, fmt=fmt)
        table = table.drop(columns=_FEATURECOUNTS_ANNOTATION[1:]).set_index("Geneid")
        table.columns = [_BAM_SUFFIX.sub("", Path(column).name) for column in table.columns]
        _reject_duplicates(pd.Index(table.columns), path=path, what="sample (after removing .bam paths)",
                           line_offset=None)
    else:
        raise InputError(f"counts.format {fmt!r} is not supported; use matrix, nfcore_salmon or featurecounts")
    if table.shape[1] == 0:
        raise InputError(f"{path}: no sample columns found; is the separator a {'comma' if sep == ',' else 'tab'}?")

    table.index = table.index.astype(str).str.strip()
    par_y = table.index.str.endswith("_PAR_Y")
    if par_y.any():
        # GENCODE's pseudo-autosomal Y copies duplicate their X gene id once the suffix is dropped.
        log.info("%s: dropped %d _PAR_Y rows (GENCODE pseudo-autosomal copies)", path, par_y.sum())
        table = table[~par_y]
    table.index = table.index.str.replace(_ENSEMBL_VERSION, r"\1", regex=True)
    table.index.name = "gene_id"
    _reject_duplicates(table.index, path=path, what="gene id", line_offset=line_offset)

    values = _numeric_counts(table, path=path, line_offset=line_offset)
    fractional = (values % 1 != 0).to_numpy()
    if fractional.any():
        if fmt != "nfcore_salmon":
            row, col = np.argwhere(fractional)[0]
            raise InputError(
                f"{path}: count {table.iat[row, col]} for gene {table.index[row]} in sample {table.columns[col]!r} "
                "is not an integer; give raw counts, or set counts.format: nfcore_salmon for salmon estimates"
            )
        # As DESeq2 users do with salmon's estimated counts (DESeqDataSetFromMatrix(round(x))).
        log.info("%s: rounded %d fractional salmon estimates to integers", path, fractional.sum())
    counts = values.round().astype(np.int64)
    genes = pd.DataFrame({"gene_id": counts.index, "symbol": map_symbols(counts.index, annotation, names=names)})
    return counts, genes


def _has_comment_line(path: Path) -> bool:
    with open(path) as handle:
        return handle.readline().startswith("#")


def _require_columns(table: pd.DataFrame, columns: list[str], *, path: Path, fmt: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise InputError(
            f"{path}: column(s) {', '.join(missing)} missing for counts.format {fmt}; "
            f"found {', '.join(table.columns[:6])}... Check counts.format in the config"
        )


def map_symbols(gene_ids: pd.Index, annotation: pd.DataFrame, *, names: pd.Series | None = None) -> list[str]:
    """Symbols for gene ids: Ensembl ids via the annotation, then the table's own names, else the id itself.

    Where one Ensembl id maps to several Entrez genes, the lowest Entrez id wins (the primary record).
    """
    by_ensembl = (
        annotation[annotation["gene_id"] != ""]
        .sort_values("entrez_id")
        .drop_duplicates("gene_id")
        .set_index("gene_id")["symbol"]
    )
    symbols = pd.Series(gene_ids, index=gene_ids).map(by_ensembl)
    if names is not None:
        symbols = symbols.fillna(names.reindex(gene_ids).set_axis(gene_ids))
    symbols = symbols.fillna(pd.Series(gene_ids, index=gene_ids))
    n_ensembl = int(gene_ids.str.match(r"^ENS[A-Z]*G\d{11}$").sum())
    n_unmapped = int((~gene_ids.isin(by_ensembl.index) & gene_ids.str.match(r"^ENS[A-Z]*G\d{11}$")).sum())
    if n_ensembl:
        log.info("mapped %d of %d Ensembl ids to symbols", n_ensembl - n_unmapped, n_ensembl)
    return symbols.tolist()
