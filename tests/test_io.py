"""Count readers: the three formats, Ensembl mapping, and every bad-input case they catch."""

from __future__ import annotations

import logging

import pytest

from trialrna.errors import InputError
from trialrna.io import read_counts

MATRIX = "gene_id\tS1\tS2\nENSG00000141510.18\t10\t20\nENSG00000012048.23\t0\t5\nMYGENE\t3\t4\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_matrix_strips_versions_and_maps_symbols(tmp_path, annotation):
    counts, genes = read_counts(write(tmp_path, "c.tsv", MATRIX), fmt="matrix", annotation=annotation)
    assert list(counts.index) == ["ENSG00000141510", "ENSG00000012048", "MYGENE"]
    assert genes["symbol"].tolist() == ["TP53", "BRCA1", "MYGENE"]
    assert counts.loc["ENSG00000141510", "S2"] == 20
    assert str(counts.dtypes.iloc[0]) == "int64"


def test_matrix_csv(tmp_path, annotation):
    counts, _ = read_counts(write(tmp_path, "c.csv", MATRIX.replace("\t", ",")), fmt="matrix",
                            annotation=annotation)
    assert counts.shape == (3, 2)


def test_nfcore_salmon_rounds_and_uses_gene_name(tmp_path, annotation):
    text = ("gene_id\tgene_name\tA\tB\nENSG00000141510.18\tTP53\t10.4\t20.6\n"
            "ENSG99999999999\tNOVEL1\t1.5\t0\n")
    counts, genes = read_counts(write(tmp_path, "salmon.merged.gene_counts.tsv", text), fmt="nfcore_salmon",
                                annotation=annotation)
    assert counts.loc["ENSG00000141510"].tolist() == [10, 21]
    assert genes.set_index("gene_id").loc["ENSG99999999999", "symbol"] == "NOVEL1"


def test_featurecounts_strips_bam_paths(tmp_path, annotation):
    text = ("# Program:featureCounts v2.0.6; Command:...\n"
            "Geneid\tChr\tStart\tEnd\tStrand\tLength\t/data/S1.markdup.sorted.bam\t/data/S2.bam\n"
            "ENSG00000141510\tchr17\t1\t100\t-\t100\t7\t8\n"
            "ENSG00000012048\tchr17\t1\t100\t-\t100\t1\t2\n")
    counts, genes = read_counts(write(tmp_path, "fc.txt", text), fmt="featurecounts", annotation=annotation)
    assert list(counts.columns) == ["S1", "S2"]
    assert genes["symbol"].tolist() == ["TP53", "BRCA1"]


def test_par_y_rows_are_dropped(tmp_path, annotation, caplog):
    text = "gene_id\tS1\nENSG00000002586.20\t5\nENSG00000002586.20_PAR_Y\t0\n"
    with caplog.at_level(logging.INFO):
        counts, _ = read_counts(write(tmp_path, "c.tsv", text), fmt="matrix", annotation=annotation)
    assert list(counts.index) == ["ENSG00000002586"]
    assert "_PAR_Y" in caplog.text


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("gene_id\tS1\tS2\nG1\t1\t2\nG1\t3\t4\n", ["duplicated gene id G1", "lines 2, 3"]),
        ("gene_id\tS1\tS1\nG1\t1\t2\n", ["duplicated column S1"]),
        ("gene_id\tS1\tS2\nG1\t1\t2\nG2\t-3\t4\n", ["'-3'", "gene G2", "'S1'", "line 3", "is negative"]),
        ("gene_id\tS1\tS2\nG1\t1\tabc\n", ["'abc'", "gene G1", "'S2'", "line 2", "not a number"]),
        ("gene_id\tS1\tS2\nG1\t1\t\n", ["gene G1", "'S2'", "is empty"]),
        ("gene_id\tS1\nG1\t1.5\n", ["not an integer", "nfcore_salmon"]),
        ("gene_id,S1\nG1,1\n", ["no sample columns", "separator"]),
    ],
    ids=["dup-gene", "dup-sample", "negative", "non-numeric", "empty-cell", "fractional", "wrong-separator"],
)
def test_bad_counts_name_file_and_place(tmp_path, annotation, text, fragments):
    path = write(tmp_path, "counts.tsv", text)
    with pytest.raises(InputError) as error:
        read_counts(path, fmt="matrix", annotation=annotation)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_salmon_without_gene_name_column(tmp_path, annotation):
    path = write(tmp_path, "s.tsv", "gene_id\tA\nG1\t1\n")
    with pytest.raises(InputError, match="gene_name missing for counts.format nfcore_salmon"):
        read_counts(path, fmt="nfcore_salmon", annotation=annotation)


def test_missing_count_file(tmp_path, annotation):
    with pytest.raises(InputError, match="count table not found"):
        read_counts(tmp_path / "nope.tsv", fmt="matrix", annotation=annotation)
