"""Readers for count tables in the supported formats, with Ensembl-to-symbol mapping."""

from __future__ import annotations

import csv
import gzip
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from trialrna.errors import InputError, require_columns

log = logging.getLogger(__name__)

CountFormat = Literal["matrix", "nfcore_salmon", "featurecounts"]

#: The largest count R's DESeq2 accepts (R integers are 32-bit); no library holds that many reads of one gene, so a
#: larger value is a sum, an id or a corrupted cell, and would become the top DE hit.
MAX_COUNT = 2**31 - 1

_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*G\d{11})\.\d+$")
_ENSEMBL_ID = r"^ENS[A-Z]*G\d{11}$"
_FEATURECOUNTS_ANNOTATION = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
_BAM_SUFFIX = re.compile(r"(\.markdup)?(\.sorted)?\.bam$")
_SEPARATOR_NAMES = {"\t": "tab", ",": "comma"}
# Where count tables sit in an nf-core/rnaseq results folder, for the message when counts.path is that folder.
_KNOWN_COUNT_FILES = ("salmon.merged.gene_counts.tsv", "*.featureCounts.txt", "counts.tsv")


def _check_file(path: Path) -> None:
    """A count table must be an existing file: for a folder, name the count tables inside it."""
    if not path.exists():
        raise InputError(f"{path}: count table not found; check counts.path in the config")
    if path.is_dir():
        found = [str(match) for pattern in _KNOWN_COUNT_FILES for depth in ("", "*/", "*/*/")
                 for match in sorted(path.glob(depth + pattern))][:3]
        hint = (f"; count tables found inside: {', '.join(found)}" if found else
                "; in an nf-core/rnaseq results folder that is star_salmon/salmon.merged.gene_counts.tsv "
                "(counts.format: nfcore_salmon)")
        raise InputError(f"{path}: counts.path names a folder, not a count table; point it at the count file "
                         f"itself{hint}")


@dataclass(frozen=True)
class _Header:
    """The parsed header line of a count table."""

    sep: str
    #: 1-based file line of the header (after featureCounts' comment lines).
    line: int
    #: Every column name, the gene-id column first.
    names: list[str]
    gene_column: str
    #: ``{sample id: column as written}`` of the sample columns, in file order.
    columns: dict[str, str]


def _first_lines(path: Path, *, skip_comments: bool) -> tuple[str, int, str | None]:
    """The header line, its 1-based number and the first data line (None if there is none), without line ends."""
    found: list[tuple[str, int]] = []
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if (skip_comments and line.startswith("#")) or not line.strip():
                continue
            found.append((line.rstrip("\r\n"), number))
            if len(found) == 2:
                break
    if not found:
        raise InputError(f"{path}: the file is empty; expected a header line with gene id and sample columns")
    return found[0][0], found[0][1], found[1][0] if len(found) == 2 else None


def _suffix(path: Path) -> str:
    """The file's type suffix, looking through .gz (counts.csv.gz is .csv)."""
    return Path(path.stem).suffix.lower() if path.suffix.lower() == ".gz" else path.suffix.lower()


def _named_separator(path: Path) -> str:
    return "," if _suffix(path) == ".csv" else "\t"


def _sniff_separator(line: str, *, path: Path) -> str:
    """Tab or comma, from the header line; the file name decides only when the header has neither."""
    return "\t" if "\t" in line else "," if "," in line else _named_separator(path)


def _read_header(path: Path, *, fmt: CountFormat) -> _Header:
    _check_file(path)
    line, number, first_row = _first_lines(path, skip_comments=fmt == "featurecounts")
    sep = _sniff_separator(line, path=path)
    names = next(csv.reader([line], delimiter=sep))
    if fmt == "matrix" and first_row is not None and (
            len(next(csv.reader([first_row], delimiter=sep))) == len(names) + 1):
        # R's write.table(counts) leaves the row names' column out of the header.
        log.info("%s: the header line has no name for the gene-id column (as R's write.table writes it); "
                 "reading the first field of each row as the gene id", path)
        names = ["gene_id", *names]
    _reject_duplicates(pd.Index(names), path=path, what="column", lines=None)
    annotation_columns = {"matrix": names[:1], "nfcore_salmon": ["gene_id", "gene_name"],
                          "featurecounts": _FEATURECOUNTS_ANNOTATION}.get(fmt)
    if annotation_columns is None:
        raise InputError(f"counts.format {fmt!r} is not supported; use matrix, nfcore_salmon or featurecounts")
    _require_columns(names, annotation_columns, path=path, fmt=fmt)
    samples = [column for column in names if column not in annotation_columns]
    if not samples:
        raise InputError(
            f"{path}: no sample columns found: the header line has only {', '.join(map(repr, names[:3]))}; the "
            "separator must be a tab or a comma, with the gene id first and then one column per sample"
        )
    ids = pd.Index([sample_id(column, fmt=fmt) for column in samples])
    _reject_duplicates(ids, path=path, what="sample (after removing .bam paths)", lines=None)
    return _Header(sep=sep, line=number, names=names, gene_column=annotation_columns[0],
                   columns=dict(zip(ids, samples, strict=True)))


def sample_id(column: str, *, fmt: CountFormat) -> str:
    """The sample id of a count column: featureCounts' BAM paths lose their folder and .bam/.sorted.bam/.markdup.bam."""
    return _BAM_SUFFIX.sub("", Path(column).name) if fmt == "featurecounts" else column


def count_columns(path: str | Path, *, fmt: CountFormat) -> tuple[str, dict[str, str]]:
    """Read and check only the header of a count table.

    Returns
    -------
    gene_column
        The name of the gene-id column.
    columns
        ``{sample id: column as written}`` for every sample column, in file order.

    Raises
    ------
    InputError
        If the path is missing, a folder or empty, or the header repeats a column, lacks the format's columns or
        has no sample column.
    """
    header = _read_header(Path(path), fmt=fmt)
    return header.gene_column, header.columns


def _reject_duplicates(values: pd.Index, *, path: Path, what: str, lines: np.ndarray | None) -> None:
    duplicated = values[values.duplicated(keep=False)]
    if len(duplicated) == 0:
        return
    names = list(dict.fromkeys(duplicated))[:5]
    where = ""
    if lines is not None:
        where = f" (lines {', '.join(map(str, lines[values.isin(names)][:10]))})"
    raise InputError(f"{path}: duplicated {what} {', '.join(map(str, names))}{where}; every {what} must appear once")


def _checked_values(raw: pd.DataFrame, *, path: Path, fmt: CountFormat, lines: np.ndarray) -> pd.DataFrame:
    """Counts as floats, naming the first cell that is not a number, empty, negative, too large or fractional."""
    values = raw.apply(pd.to_numeric, errors="coerce")
    checks = [
        (values.isna() & raw.notna(), "is not a number; counts must be non-negative numbers"),
        (raw.isna(), "is empty; counts must be non-negative numbers"),
        (values < 0, "is negative; counts must be non-negative numbers"),
        (values.round() > MAX_COUNT,
         f"is above {MAX_COUNT:,} (2**31 - 1), the largest count DESeq2 accepts, and no library holds that many "
         "reads of one gene; check that this column holds raw read counts, not a sum, an id or a corrupted value"),
    ]
    if fmt != "nfcore_salmon":
        checks.append((values % 1 != 0, "is not an integer; give raw counts, or set counts.format: nfcore_salmon "
                                        "for salmon estimates"))
    for mask, problem in checks:
        flagged = mask.to_numpy()
        if flagged.any():
            row, col = np.argwhere(flagged)[0]
            raise InputError(f"{path}: count {raw.iat[row, col]!r} for gene {raw.index[row]} in sample column "
                             f"{raw.columns[col]!r} (line {lines[row]}) {problem}")
    return values


def _read_rows(path: Path, header: _Header, *, fmt: CountFormat, max_rows: int | None) -> pd.DataFrame:
    """The table as strings, columns named from the parsed header; ragged rows are an InputError."""
    try:
        return pd.read_csv(path, sep=header.sep, dtype=str, header=None, names=header.names, index_col=False,
                           skiprows=header.line, nrows=max_rows, skip_blank_lines=False,
                           comment="#" if fmt == "featurecounts" else None)
    except pd.errors.ParserError as error:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if found is None:
            raise InputError(f"{path}: cannot be read as a {_SEPARATOR_NAMES[header.sep]}-separated table "
                             f"({error})") from None
        expected, line, seen = found.groups()
        raise InputError(f"{path}: line {line} has {seen} fields but the header line has {expected}; every row "
                         "needs its gene id and one count per sample column") from None


def read_count_matrix(path: str | Path, *, fmt: CountFormat, max_rows: int | None = None
                      ) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read and check a count table (``path`` and ``fmt`` as for :func:`read_counts`) without mapping symbols.

    ``max_rows`` reads only the first gene rows (the parse-time check); None reads them all. Returns the counts as
    :func:`read_counts` does and the table's own gene names by gene id (``nfcore_salmon``), else None.

    Raises
    ------
    InputError
        Naming the file, the line, the gene and the sample column of the first bad cell, or the header problem.
    """
    path = Path(path)
    header = _read_header(path, fmt=fmt)
    named = "" if header.sep == _named_separator(path) else f", although its name ends in {_suffix(path) or 'nothing'}"
    log.info("%s: read as %s-separated (sniffed from its header line%s)", path, _SEPARATOR_NAMES[header.sep], named)
    table = _read_rows(path, header, fmt=fmt, max_rows=max_rows)
    # 1-based file lines of the rows, so messages point at what an editor shows.
    lines = np.arange(len(table)) + header.line + 1
    blank = table.isna().all(axis=1).to_numpy()
    table, lines = table[~blank], lines[~blank]
    if table.empty:
        raise InputError(f"{path}: the table has a header but no gene rows; the count table needs one row per gene "
                         "after its header line")

    table = table.set_index(header.gene_column)
    missing_id = table.index.isna() | (table.index.astype(str).str.strip() == "")
    if missing_id.any():
        raise InputError(f"{path}: line {lines[missing_id][0]} has no gene id in column {header.gene_column!r}; "
                         "every row must start with its gene id")
    table.index = table.index.astype(str).str.strip()
    par_y = table.index.str.endswith("_PAR_Y")
    if par_y.any():
        # GENCODE's pseudo-autosomal Y copies duplicate their X gene id once the suffix is dropped.
        log.info("%s: dropped %d _PAR_Y rows (GENCODE pseudo-autosomal copies)", path, par_y.sum())
        table, lines = table[~par_y], lines[~par_y]
    table.index = table.index.str.replace(_ENSEMBL_VERSION, r"\1", regex=True)
    table.index.name = "gene_id"
    _reject_duplicates(table.index, path=path, what="gene id", lines=lines)
    names = table["gene_name"] if fmt == "nfcore_salmon" else None
    table = table[list(header.columns.values())].set_axis(list(header.columns), axis=1)

    values = _checked_values(table, path=path, fmt=fmt, lines=lines)
    fractional = (values % 1 != 0).to_numpy()
    if fractional.any():
        # As DESeq2 users do with salmon's estimated counts (DESeqDataSetFromMatrix(round(x))).
        log.info("%s: rounded %d fractional salmon estimates to integers", path, fractional.sum())
    return values.round().astype(np.int64), names


def read_counts(
    path: str | Path, *, fmt: CountFormat, annotation: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a genes x samples count table in one of the supported formats.

    Parameters
    ----------
    path
        Count table: ``matrix`` (tab- or comma-separated, sniffed from the header line; first column gene id),
        ``nfcore_salmon`` (``salmon.merged.gene_counts.tsv``: gene_id, gene_name, samples) or ``featurecounts``.
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
    counts, names = read_count_matrix(path, fmt=fmt)
    genes = pd.DataFrame({"gene_id": counts.index, "symbol": map_symbols(counts.index, annotation, names=names)})
    return counts, genes


def _require_columns(header: list[str], columns: list[str], *, path: Path, fmt: str) -> None:
    require_columns(header, columns, what=f"{path}: for counts.format {fmt}, column(s)",
                    fix="Check counts.format in the config")


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
    n_ensembl = int(gene_ids.str.match(_ENSEMBL_ID).sum())
    n_unmapped = int((~gene_ids.isin(by_ensembl.index) & gene_ids.str.match(_ENSEMBL_ID)).sum())
    if n_ensembl:
        log.info("mapped %d of %d Ensembl ids to symbols", n_ensembl - n_unmapped, n_ensembl)
    return symbols.tolist()


def gene_id_summary(genes: pd.DataFrame, annotation: pd.DataFrame, *, min_annotated_share: float,
                    source: str | Path) -> pd.DataFrame:
    """How well the count table's gene ids match the pinned annotation; a WARNING is logged below the threshold.

    Parameters
    ----------
    genes
        ``gene_id``, ``symbol`` as from :func:`read_counts`.
    annotation
        The pinned annotation (:func:`trialrna.annotation.read_gene_annotation`).
    min_annotated_share
        Matched share below which enrichment and networks rest on too few genes to trust.
    source
        The count table, for the warning.

    Returns
    -------
    One row: ``gene_ids``, ``ensembl_ids`` (ids shaped like Ensembl gene ids), ``matched`` (ids whose symbol is a
    symbol of the annotation: Ensembl ids mapped through it, or ids and gene names that are such symbols),
    ``matched_share`` and ``shared_symbols`` (symbols that two or more gene ids carry).
    """
    matched = genes["symbol"].isin(set(annotation["symbol"]))
    share = float(matched.mean()) if len(genes) else 0.0
    per_symbol = genes["symbol"].value_counts()
    summary = pd.DataFrame([{
        "gene_ids": len(genes),
        "ensembl_ids": int(genes["gene_id"].astype(str).str.match(_ENSEMBL_ID).sum()),
        "matched": int(matched.sum()),
        "matched_share": share,
        "shared_symbols": int((per_symbol > 1).sum()),
    }])
    if share < min_annotated_share:
        examples = ", ".join(genes.loc[~matched, "gene_id"].astype(str).head(3))
        log.warning("%s: %s; unmatched ids look like %s (qc.min_annotated_share %.0f %%)", source,
                    annotation_warning(share), examples, 100 * min_annotated_share)
    return summary


def annotation_warning(matched_share: float) -> str:
    """The plain-words warning for a low share of gene ids matched to the annotation (log and report)."""
    return (f"only {100 * matched_share:.0f} % of gene ids matched the annotation; enrichment and networks rest on "
            "few genes; check the gene-id column (Ensembl gene ids or HGNC symbols) and counts.format")
