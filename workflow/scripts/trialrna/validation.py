"""Schema validation and cross-table checks of the config, sample sheet, clinical sheet and counts.

Every check raises :class:`~trialrna.errors.InputError` with the file, the row or column, and what to fix,
so bad input stops the workflow before any long computation.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from trialrna.errors import InputError
from trialrna.layout import RESULTS
from trialrna.vocabulary import SURVIVAL_ENDPOINTS

log = logging.getLogger(__name__)


def _first_error(instance: Any, schema_path: Path):
    schema = yaml.safe_load(schema_path.read_text())
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda error: list(error.path))
    return (errors[0], schema) if errors else (None, schema)


def _describe(error, schema: Mapping) -> str:
    """The jsonschema message, plus the schema's description of the offending key, if it has one."""
    node: Any = schema
    for part in error.path:
        node = node.get("properties", {}).get(part, {}) if isinstance(node, Mapping) else {}
    hint = node.get("description") if isinstance(node, Mapping) else None
    return error.message + (f" (expected: {hint})" if hint else "")


def validate_config(config: dict, *, schema: str | Path, source: str) -> None:
    """Validate a config dict in place (filling schema defaults) with Snakemake's ``validate``.

    ``clinical: path`` (the short form of DESIGN.md) is first rewritten as ``clinical: {sheet: path}``.

    Raises
    ------
    InputError
        Naming the config key, e.g. ``de.alpha``, its value and the expected type.
    """
    from snakemake.exceptions import WorkflowError  # Snakemake is heavy: only the sheet checks need it
    from snakemake.utils import validate as snakemake_validate

    if isinstance(config.get("clinical"), str):
        config["clinical"] = {"sheet": config["clinical"]}
    try:
        snakemake_validate(config, str(schema))
    except WorkflowError:
        error, schema_doc = _first_error(config, Path(schema))
        if error is None:
            raise
        key = ".".join(map(str, error.path)) or "(top level)"
        raise InputError(f"{source}: config key {key}: {_describe(error, schema_doc)}") from None


def require_config_file(path: str | Path, *, given: Sequence[str], example: str | Path) -> None:
    """Require the default config file in the working directory when no ``--configfile`` was given.

    Raises
    ------
    InputError
        Saying where the file was looked for and the two ways to give one.
    """
    if not given and not Path(path).exists():
        raise InputError(
            f"no config file: {Path(path).resolve()} does not exist and no --configfile was given. Run from (or "
            f"--directory to) a study folder that has {path}, or pass --configfile with the study's config (a path "
            f"relative to the current directory, not to --directory). Start from a copy of {example} with "
            "demo.simulate: false and counts.path set to your count table; every key is documented in "
            "workflow/schemas/config.schema.yaml"
        )


def check_demo_counts_path(*, simulate: bool, counts_path: str, source: str) -> None:
    """With ``demo.simulate``, require ``counts.path`` to be the simulation's own output.

    Raises
    ------
    InputError
        When the simulation would otherwise be read from (and so written to) a path the user gave.
    """
    # The simulation writes a workflow-owned path, so a copied demo config never overwrites a user's count table.
    demo_counts = RESULTS.file("demo_counts")
    if simulate and os.path.normpath(counts_path) != os.path.normpath(demo_counts):
        raise InputError(
            f"{source}: demo.simulate is true, so the workflow simulates the demo counts into {demo_counts}, but "
            f"counts.path is {counts_path!r}; the workflow never writes to an input. Set counts.path: "
            f"{demo_counts} to run the demo, or demo.simulate: false to analyse {counts_path}"
        )


def validate_table(table: pd.DataFrame, *, schema: str | Path, source: str | Path) -> None:
    """Validate every row of a sheet with Snakemake's ``validate``, filling defaults in place.

    Raises
    ------
    InputError
        Naming the file line (the header is line 1), the column and the rule it breaks.
    """
    from snakemake.exceptions import WorkflowError  # Snakemake is heavy: only the sheet checks need it
    from snakemake.utils import validate as snakemake_validate

    try:
        snakemake_validate(table, str(schema))
    except WorkflowError:
        for index, record in enumerate(table.to_dict("records")):
            record = {key: value for key, value in record.items() if pd.notnull(value)}
            error, schema_doc = _first_error(record, Path(schema))
            if error is not None:
                column = error.path[0] if error.path else None
                if error.validator == "required":
                    column = error.message.split("'")[1]
                    raise InputError(f"{source}: column {column!r} is missing or empty on line {index + 2}; "
                                     "it is required") from None
                row_id = next((f" ({key} {record[key]})" for key in ("sample", "patient") if key in record), "")
                raise InputError(f"{source}, line {index + 2}{row_id}, column {column!r}: "
                                 f"{_describe(error, schema_doc)}") from None
        raise


def _lines(mask: pd.Series, limit: int = 10) -> str:
    """1-based file lines (header = line 1) of the rows selected by ``mask``."""
    return ", ".join(str(position + 2) for position in mask.to_numpy().nonzero()[0][:limit])


def _require_unique(table: pd.DataFrame, column: str, *, source: str | Path) -> None:
    duplicated = table[column].duplicated(keep=False)
    if duplicated.any():
        names = ", ".join(table.loc[duplicated, column].unique()[:5])
        raise InputError(f"{source}: duplicated {column} id(s) {names} on lines {_lines(duplicated)}; "
                         f"each {column} must appear once")


def check_sample_sheet(samples: pd.DataFrame, *, timepoints: Sequence[str], source: str | Path) -> None:
    """Check sample ids are unique, timepoints are configured and no patient has a visit twice."""
    _require_unique(samples, "sample", source=source)
    unknown = ~samples["timepoint"].isin(timepoints)
    if unknown.any():
        values = ", ".join(sorted(samples.loc[unknown, "timepoint"].unique()))
        raise InputError(
            f"{source}, column 'timepoint', line(s) {_lines(unknown)}: {values} not in config timepoints "
            f"[{', '.join(timepoints)}]; fix the sheet or add the visit to 'timepoints' in the config"
        )
    repeated = samples.duplicated(["patient", "timepoint"], keep=False)
    if repeated.any():
        raise InputError(
            f"{source}: lines {_lines(repeated)} give one patient the same timepoint twice; "
            "merge technical replicates before the workflow or give each visit its own timepoint"
        )


def check_clinical_sheet(clinical: pd.DataFrame, *, samples: pd.DataFrame, source: str | Path,
                         samples_source: str | Path) -> None:
    """Check patient ids are unique and every patient of the sample sheet has clinical data."""
    _require_unique(clinical, "patient", source=source)
    missing = ~samples["patient"].isin(clinical["patient"])
    if missing.any():
        names = ", ".join(samples.loc[missing, "patient"].unique()[:10])
        raise InputError(
            f"{samples_source}, column 'patient', line(s) {_lines(missing)}: patient(s) {names} are missing "
            f"from the clinical sheet {source}; add them there or remove their samples"
        )


def check_sample_columns(columns: Mapping[str, str], samples: pd.DataFrame, *, counts_source: str | Path,
                         samples_source: str | Path, gene_column: str | None = None) -> None:
    """Check every sample of the sheet has a count column, and the gene-id column is not one of them.

    Parameters
    ----------
    columns
        ``{sample id: column as written}`` of the count table (:func:`trialrna.io.count_columns`); where they
        differ (featureCounts' BAM paths), the message says what each column became.
    samples
        The sample sheet (``sample`` column, in file order).
    gene_column
        Name of the count table's gene-id column, if known.
    """
    sheet = set(samples["sample"])
    if gene_column in sheet:
        raise InputError(
            f"{counts_source}: the first column {gene_column!r} is read as gene ids, but it is a sample of "
            f"{samples_source}; the first column must hold the gene ids (write the table with its row names or "
            "index)"
        )
    absent = ~samples["sample"].isin(list(columns))
    if not absent.any():
        return
    missing = samples.loc[absent, "sample"].tolist()
    message = (f"{samples_source}, line(s) {_lines(absent)}: sample(s) {', '.join(missing[:10])} have no column in "
               f"the count table {counts_source}; fix the sample ids or remove those rows")
    renamed = [(column, sample) for sample, column in columns.items() if column != sample]
    if renamed:
        became = ", ".join(f"featureCounts column {column!r} became sample id {sample!r}"
                           for column, sample in renamed[:3])
        message += (f" ({became}{', ...' if len(renamed) > 3 else ''}: a sample id is the BAM file name without "
                    "its folder and without .bam, .sorted.bam or .markdup.bam)")
    close = {name: difflib.get_close_matches(name, list(columns), n=1) for name in missing[:3]}
    close = {name: match[0] for name, match in close.items() if match}
    if close:
        message += "; closest count columns: " + ", ".join(f"{name} ~ {match}" for name, match in close.items())
    raise InputError(message)


def match_counts_to_samples(counts: pd.DataFrame, samples: pd.DataFrame, *, counts_source: str | Path,
                            samples_source: str | Path) -> pd.DataFrame:
    """Return the count columns of the sheet's samples, in sheet order.

    Samples in the sheet without a count column are an error (:func:`check_sample_columns`); count columns absent
    from the sheet are dropped with a warning that lists them. All-zero samples are an error.
    """
    check_sample_columns({column: column for column in counts.columns}, samples, counts_source=counts_source,
                         samples_source=samples_source)
    extra = [column for column in counts.columns if column not in set(samples["sample"])]
    if extra:
        log.warning("%s: %d count column(s) not in the sample sheet %s are ignored: %s", counts_source,
                    len(extra), samples_source, ", ".join(extra))
    matched = counts[samples["sample"].tolist()]
    empty = matched.columns[matched.sum(axis=0) == 0]
    if len(empty):
        raise InputError(f"{counts_source}: sample column(s) {', '.join(empty)} have zero counts for every gene; "
                         "remove the failed libraries from the sample sheet")
    return matched


def check_qlq_c30_visits(answers: pd.DataFrame, *, visits: Sequence[str], source: str | Path) -> None:
    """QLQ-C30 visits must be configured timepoints (the first is baseline)."""
    unknown = ~answers["visit"].isin(visits)
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise InputError(f"{source}, line {row + 2} (patient {answers['patient'].iat[row]}), column 'visit': "
                         f"{answers['visit'].iat[row]!r} is not one of the config timepoints ({', '.join(visits)})")


def check_survival_columns(clinical: pd.DataFrame, *, source: str | Path) -> None:
    """Every event needs a time, and every time an event flag; the error names the patient and column."""
    for endpoint in SURVIVAL_ENDPOINTS:
        time, event = f"{endpoint}_months", f"{endpoint}_event"
        if time not in clinical and event not in clinical:
            continue
        if time not in clinical or event not in clinical:
            raise InputError(f"{source}: {time} and {event} come together; add the missing column or drop both")
        for mask, problem in ((clinical[event].notna() & clinical[time].isna(), f"has {event} but no {time}"),
                              (clinical[time].notna() & clinical[event].isna(), f"has {time} but no {event}")):
            if mask.any():
                patient = clinical.loc[mask, "patient"].iat[0]
                raise InputError(f"{source}: patient {patient} {problem}; give both or neither")
