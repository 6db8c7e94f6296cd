"""Load the sample and clinical sheets, check them against each other and the config, and join them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from trialrna.annotation import read_gene_annotation
from trialrna.design import response_group, sample_metadata
from trialrna.errors import InputError
from trialrna.io import CountFormat, count_columns, read_count_matrix, read_counts
from trialrna.tables import read_table, write_table
from trialrna.validation import (
    check_clinical_sheet,
    check_qlq_c30_visits,
    check_sample_columns,
    check_sample_sheet,
    check_survival_columns,
    match_counts_to_samples,
    validate_table,
)
from trialrna.vocabulary import GROUPS, ResponseRule

_ID_COLUMNS = {"sample": str, "patient": str, "timepoint": str, "arm": str, "best_response": str, "visit": str,
               "term": str}


def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read a TSV sheet: id columns as strings, other columns with inferred types, empty cells missing."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path in the config (relative to the working directory)")
    table = read_table(path, dtype=_ID_COLUMNS)
    table.columns = table.columns.str.strip()
    for column in table.columns.intersection(list(_ID_COLUMNS)):
        table[column] = table[column].str.strip()
    return table


def load_sample_metadata(*, samples_path: str | Path, clinical_path: str | Path, timepoints: Sequence[str],
                         response_rule: ResponseRule, schema_dir: str | Path) -> pd.DataFrame:
    """Validate both sheets against their schemas and each other; return one row per sample.

    Raises
    ------
    InputError
        On the first problem, naming the file, line and column.
    """
    schema_dir = Path(schema_dir)
    samples = read_sheet(samples_path)
    validate_table(samples, schema=schema_dir / "samples.schema.yaml", source=samples_path)
    check_sample_sheet(samples, timepoints=timepoints, source=samples_path)
    clinical = read_sheet(clinical_path)
    validate_table(clinical, schema=schema_dir / "clinical.schema.yaml", source=clinical_path)
    check_survival_columns(clinical, source=clinical_path)
    check_clinical_sheet(clinical, samples=samples, source=clinical_path, samples_source=samples_path)
    return sample_metadata(samples, clinical, rule=response_rule, timepoints=timepoints)


def write_sample_metadata(metadata: pd.DataFrame, path: str | Path) -> None:
    """Write the joined sample table, with ``visit_index`` (0 = baseline) so readers recover the visit order."""
    table = metadata.assign(visit_index=metadata["timepoint"].cat.codes)
    write_table(table, path)


def read_sample_metadata(path: str | Path) -> pd.DataFrame:
    """Read :func:`write_sample_metadata` output with ordered ``timepoint`` and categorical ``group``."""
    table = read_table(path, dtype=_ID_COLUMNS | {"group": str})
    visits = table.drop_duplicates("visit_index").sort_values("visit_index")["timepoint"].tolist()
    table["timepoint"] = pd.Categorical(table["timepoint"], categories=visits, ordered=True)
    table["group"] = pd.Categorical(table["group"], categories=GROUPS)
    return table


#: Gene rows the parse-time check reads: enough to catch a wrong column or format in a second, not the whole file.
PARSE_TIME_ROWS = 1000


def check_count_table(path: str | Path, *, fmt: CountFormat, samples: pd.DataFrame, samples_source: str | Path,
                      max_rows: int | None = PARSE_TIME_ROWS) -> None:
    """The quick check of the count table at workflow start: header, sample columns and the first gene rows.

    The ``prepare_counts`` rule runs the same checks over every row (:func:`load_counts`).

    Raises
    ------
    InputError
        Naming the file, the line, gene and sample column, or the sample-sheet lines, and what to fix.
    """
    _check_count_header(path, fmt=fmt, samples=samples, samples_source=samples_source)
    read_count_matrix(path, fmt=fmt, max_rows=max_rows)


def _check_count_header(path: str | Path, *, fmt: CountFormat, samples: pd.DataFrame,
                        samples_source: str | Path) -> None:
    gene_column, columns = count_columns(path, fmt=fmt)
    check_sample_columns(columns, samples, counts_source=path, samples_source=samples_source,
                         gene_column=gene_column)


def load_counts(path: str | Path, *, fmt: CountFormat, metadata: pd.DataFrame, annotation_path: str | Path,
                samples_source: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the count table, map gene symbols and keep the sheet's samples in sheet order.

    Returns the counts (genes x samples) and the gene table (``gene_id``, ``symbol``).
    """
    _check_count_header(path, fmt=fmt, samples=metadata, samples_source=samples_source)
    counts, genes = read_counts(path, fmt=fmt, annotation=read_gene_annotation(annotation_path))
    counts = match_counts_to_samples(counts, metadata, counts_source=path, samples_source=samples_source)
    return counts, genes


def read_count_table(path: str | Path) -> pd.DataFrame:
    """Read the checked count table written by the ``prepare_counts`` rule (genes x samples, integers)."""
    return read_table(path, index_col="gene_id", dtype={"gene_id": str})


def read_clinical(path: str | Path, *, rule: ResponseRule) -> pd.DataFrame:
    """The clinical sheet with the patients' response ``group`` (missing for NE)."""
    clinical = read_sheet(path)
    return clinical.assign(group=response_group(clinical["best_response"], rule=rule))


def load_optional_clinical_tables(*, adverse_events: str | None, qlq_c30: str | None, clinical_path: str | Path,
                                  timepoints: Sequence[str], schema_dir: str | Path) -> None:
    """Validate the optional adverse-event and QLQ-C30 tables; their patients must be in the clinical sheet."""
    patients = set(read_sheet(clinical_path)["patient"])
    for path, schema in ((adverse_events, "adverse_events.schema.yaml"), (qlq_c30, "qlq_c30.schema.yaml")):
        if not path:
            continue
        table = read_sheet(path)
        validate_table(table, schema=Path(schema_dir) / schema, source=path)
        unknown = ~table["patient"].isin(patients)
        if unknown.any():
            row = int(unknown.to_numpy().nonzero()[0][0])
            raise InputError(f"{path}, line {row + 2}: patient {table['patient'].iat[row]} is not in the clinical "
                             f"sheet {clinical_path}")
        if schema.startswith("qlq"):
            check_qlq_c30_visits(table, visits=timepoints, source=path)
