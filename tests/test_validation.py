"""Config and sheet validation: every bad-input case names the file, line or key, and what to fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trialrna.cohort import check_count_table, load_counts, load_sample_metadata
from trialrna.errors import InputError
from trialrna.layout import RESULTS
from trialrna.validation import check_demo_counts_path, match_counts_to_samples, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "workflow/schemas"
TIMEPOINTS = ["baseline", "on_treatment", "end_of_treatment"]
SAMPLES = "sample\tpatient\ttimepoint\nA1\tP1\tbaseline\nA2\tP1\ton_treatment\nB1\tP2\tbaseline\n"
CLINICAL = ("patient\tarm\tbest_response\tpfs_months\tpfs_event\n"
            "P1\teribulin\tPR\t8.5\t1\nP2\teribulin_bevacizumab\tNE\t1.0\t0\n")


def load(tmp_path, samples=SAMPLES, clinical=CLINICAL, timepoints=TIMEPOINTS):
    (tmp_path / "samples.tsv").write_text(samples)
    (tmp_path / "clinical.tsv").write_text(clinical)
    return load_sample_metadata(samples_path=tmp_path / "samples.tsv", clinical_path=tmp_path / "clinical.tsv",
                                timepoints=timepoints, response_rule="orr", schema_dir=SCHEMAS)


def test_valid_sheets_join(tmp_path):
    table = load(tmp_path)
    assert table["group"].astype(str).tolist() == ["responders", "responders", "nan"]
    assert list(table["timepoint"].cat.categories) == ["baseline", "on_treatment"]


@pytest.mark.parametrize(
    ("samples", "clinical", "fragments"),
    [
        (SAMPLES + "A1\tP1\tend_of_treatment\n", CLINICAL, ["samples.tsv", "duplicated sample id(s) A1",
                                                           "lines 2, 5"]),
        (SAMPLES.replace("B1\tP2\tbaseline", "B1\tP2\tscreening"), CLINICAL,
         ["samples.tsv", "column 'timepoint'", "line(s) 4", "screening", "config timepoints"]),
        (SAMPLES + "C1\tP3\tbaseline\n", CLINICAL, ["samples.tsv", "line(s) 5", "P3", "missing from the clinical",
                                                   "clinical.tsv"]),
        (SAMPLES, CLINICAL.replace("\tPR\t", "\tPRR\t"), ["clinical.tsv", "line 2", "'best_response'", "'PRR'",
                                                          "CR, PR, SD, PD, NE"]),
        (SAMPLES, CLINICAL.replace("8.5\t1", "8.5\t2"), ["clinical.tsv", "line 2", "'pfs_event'", "0 = censored"]),
        (SAMPLES, CLINICAL.replace("8.5\t1", "-1\t1"), ["clinical.tsv", "line 2", "'pfs_months'", "non-negative"]),
        (SAMPLES, CLINICAL + "P1\teribulin\tSD\t3\t1\n", ["clinical.tsv", "duplicated patient id(s) P1"]),
        (SAMPLES.replace("\tP1\t", "\t\t"), CLINICAL, ["samples.tsv", "column 'patient'", "line 2"]),
        (SAMPLES + "D1\tP2\tbaseline\n", CLINICAL, ["samples.tsv", "same timepoint twice"]),
        (SAMPLES, CLINICAL.replace("eribulin_bevacizumab", "eribulin + bev"), ["clinical.tsv", "line 3", "'arm'"]),
    ],
    ids=["dup-sample", "unknown-timepoint", "patient-not-in-clinical", "unknown-response", "event-not-01",
         "negative-time", "dup-patient", "missing-patient", "repeated-visit", "arm-with-spaces"],
)
def test_bad_sheets(tmp_path, samples, clinical, fragments):
    with pytest.raises(InputError) as error:
        load(tmp_path, samples=samples, clinical=clinical)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_missing_sheet(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_sample_metadata(samples_path=tmp_path / "none.tsv", clinical_path=tmp_path / "c.tsv",
                             timepoints=TIMEPOINTS, response_rule="orr", schema_dir=SCHEMAS)


def demo_config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_config_defaults_are_filled():
    config = {"counts": {"path": "c.tsv"}, "samples": "s.tsv", "clinical": "c.tsv", "timepoints": ["baseline"]}
    validate_config(config, schema=SCHEMAS / "config.schema.yaml", source="config.yaml")
    assert config["counts"]["format"] == "matrix"
    assert config["response"]["rule"] == "orr"
    assert config["qc"]["n_top_genes"] == 1000
    assert config["demo"]["simulate"] is False


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda c: c["qc"].update(n_top_genes="many"), ["my.yaml", "config key qc.n_top_genes", "'many'",
                                                         "not of type 'integer'"]),
        (lambda c: c["response"].update(rule="best"), ["config key response.rule", "'best'"]),
        (lambda c: c.update(timepoints="baseline"), ["config key timepoints", "not of type 'array'"]),
        (lambda c: c["counts"].update(format="bam"), ["config key counts.format", "'bam'"]),
        (lambda c: c.update(sample="x.tsv"), ["'sample' was unexpected"]),
        (lambda c: c.pop("clinical"), ["'clinical' is a required property"]),
    ],
    ids=["wrong-type", "bad-enum", "not-a-list", "bad-format", "typo-key", "missing-key"],
)
def test_bad_config(change, fragments):
    config = demo_config()
    change(config)
    with pytest.raises(InputError) as error:
        validate_config(config, schema=SCHEMAS / "config.schema.yaml", source="my.yaml")
    for fragment in fragments:
        assert fragment in str(error.value)


def counts_table():
    return pd.DataFrame({"A1": [1, 2], "A2": [3, 4], "B1": [5, 6], "X9": [1, 1]}, index=["G1", "G2"])


def test_counts_matched_in_sheet_order_and_extra_columns_warned(tmp_path, caplog):
    metadata = load(tmp_path)
    with caplog.at_level(logging.WARNING):
        matched = match_counts_to_samples(counts_table()[["B1", "A2", "A1", "X9"]], metadata,
                                          counts_source="counts.tsv", samples_source="samples.tsv")
    assert list(matched.columns) == ["A1", "A2", "B1"]
    assert "count column(s) not in the sample sheet samples.tsv are ignored: X9" in caplog.text


def test_sample_missing_from_counts(tmp_path):
    metadata = load(tmp_path)
    with pytest.raises(InputError) as error:
        match_counts_to_samples(counts_table().drop(columns="A2"), metadata, counts_source="counts.tsv",
                                samples_source="samples.tsv")
    assert "samples.tsv, line(s) 3: sample(s) A2 have no column in the count table counts.tsv" in str(error.value)


def test_all_zero_sample(tmp_path):
    metadata = load(tmp_path)
    counts = counts_table().assign(A2=0)
    with pytest.raises(InputError, match="A2 have zero counts for every gene"):
        match_counts_to_samples(counts, metadata, counts_source="counts.tsv", samples_source="samples.tsv")


def test_demo_config_simulates_into_results():
    config = demo_config()
    assert config["demo"]["simulate"]
    assert config["counts"]["path"] == RESULTS.file("demo_counts") == "results/demo/counts.tsv"
    check_demo_counts_path(simulate=True, counts_path=config["counts"]["path"], source="config.yaml")
    check_demo_counts_path(simulate=True, counts_path="./results/demo/counts.tsv", source="config.yaml")
    check_demo_counts_path(simulate=False, counts_path="data/counts.tsv", source="config.yaml")


def test_simulation_refuses_a_user_count_path():
    with pytest.raises(InputError) as error:
        check_demo_counts_path(simulate=True, counts_path="data/counts.tsv", source="study/config.yaml")
    assert str(error.value) == (
        "study/config.yaml: demo.simulate is true, so the workflow simulates the demo counts into "
        "results/demo/counts.tsv, but counts.path is 'data/counts.tsv'; the workflow never writes to an input. Set "
        "counts.path: results/demo/counts.tsv to run the demo, or demo.simulate: false to analyse data/counts.tsv")


def write_counts(tmp_path, text, name="counts.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_count_table_check_names_missing_samples(tmp_path):
    metadata = load(tmp_path)
    path = write_counts(tmp_path, "gene_id\tA1\tB1\nG1\t1\t2\n")
    with pytest.raises(InputError) as error:
        check_count_table(path, fmt="matrix", samples=metadata, samples_source="samples.tsv")
    assert f"samples.tsv, line(s) 3: sample(s) A2 have no column in the count table {path}" in str(error.value)


def test_count_table_check_says_what_featurecounts_columns_became(tmp_path):
    metadata = load(tmp_path)
    path = write_counts(tmp_path, "# Program:featureCounts\nGeneid\tChr\tStart\tEnd\tStrand\tLength\t"
                                  "bam/A1.sorted.bam\tbam/A2_L001.sorted.bam\tbam/B1.markdup.bam\n"
                                  "G1\tchr1\t1\t9\t+\t9\t1\t2\t3\n", name="fc.txt")
    with pytest.raises(InputError) as error:
        check_count_table(path, fmt="featurecounts", samples=metadata, samples_source="samples.tsv")
    message = str(error.value)
    assert f"samples.tsv, line(s) 3: sample(s) A2 have no column in the count table {path}" in message
    assert ("featureCounts column 'bam/A1.sorted.bam' became sample id 'A1', featureCounts column "
            "'bam/A2_L001.sorted.bam' became sample id 'A2_L001'") in message
    assert "a sample id is the BAM file name without its folder and without .bam, .sorted.bam or .markdup.bam" \
        in message


def test_count_table_check_gene_column_is_a_sample(tmp_path):
    metadata = load(tmp_path)
    path = write_counts(tmp_path, "A1\tA2\tB1\tX9\n1\t2\t3\t4\n")
    with pytest.raises(InputError) as error:
        check_count_table(path, fmt="matrix", samples=metadata, samples_source="samples.tsv")
    assert (f"{path}: the first column 'A1' is read as gene ids, but it is a sample of samples.tsv; the first column "
            "must hold the gene ids") in str(error.value)


def test_count_table_check_reads_the_first_rows_and_the_rule_reads_all(tmp_path):
    metadata = load(tmp_path)
    rows = "".join(f"G{index}\t1\t2\t3\n" for index in range(1200))
    path = write_counts(tmp_path, "gene_id\tA1\tA2\tB1\n" + rows + "G_last\t1\t2\t1e12\n")
    check_count_table(path, fmt="matrix", samples=metadata, samples_source="samples.tsv")
    with pytest.raises(InputError) as error:
        load_counts(path, fmt="matrix", metadata=metadata, samples_source="samples.tsv",
                    annotation_path=ROOT / "resources/annotation/genes.tsv.gz")
    assert "count '1e12' for gene G_last in sample column 'B1' (line 1202) is above 2,147,483,647" in str(error.value)
    with pytest.raises(InputError, match="line 1202"):
        check_count_table(path, fmt="matrix", samples=metadata, samples_source="samples.tsv", max_rows=None)


def test_header_only_table_is_not_blamed_on_zero_counts(tmp_path):
    metadata = load(tmp_path)
    path = write_counts(tmp_path, "gene_id\tA1\tA2\tB1\n")
    for check in (lambda: check_count_table(path, fmt="matrix", samples=metadata, samples_source="samples.tsv"),
                  lambda: load_counts(path, fmt="matrix", metadata=metadata, samples_source="samples.tsv",
                                      annotation_path=ROOT / "resources/annotation/genes.tsv.gz")):
        with pytest.raises(InputError) as error:
            check()
        assert f"{path}: the table has a header but no gene rows" in str(error.value)
