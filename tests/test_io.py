"""Count readers: the three formats, Ensembl mapping, and every bad-input case they catch."""

from __future__ import annotations

import gzip
import logging

import pandas as pd
import pytest

from trialrna.errors import InputError
from trialrna.io import MAX_COUNT, gene_id_summary, read_count_matrix, read_counts
from trialrna.report import gene_id_warning

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
        ("gene_id\tS1\nG1\t1.5\n", ["not an integer", "nfcore_salmon", "'S1'", "line 2"]),
        ("gene_id;S1\nG1;1\n", ["no sample columns", "separator"]),
        ("gene_id\tS1\tS2\nG1\t1\t2\nG2\t5\t1000000000000\n",
         ["count '1000000000000' for gene G2 in sample column 'S2' (line 3) is above 2,147,483,647 (2**31 - 1), the "
          "largest count DESeq2 accepts"]),
        ("gene_id\tS1\tS2\nG1\t1\t2\nG2\t5\t6\t7\n", ["line 3 has 4 fields but the header line has 3"]),
        ("gene_id\tS1\nG1\t1\n\t2\n", ["line 3 has no gene id in column 'gene_id'"]),
        ("gene_id\tS1\tS2\nENSG00000002586.20\t1\t2\nENSG00000002586.20_PAR_Y\t0\t0\nG3\t1\tx\n",
         ["'x'", "gene G3", "'S2'", "line 4"]),
    ],
    ids=["dup-gene", "dup-sample", "negative", "non-numeric", "empty-cell", "fractional", "wrong-separator",
         "too-large", "ragged-row", "no-gene-id", "line-after-par-y"],
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
    with pytest.raises(InputError, match="for counts.format nfcore_salmon, column.s. gene_name missing"):
        read_counts(path, fmt="nfcore_salmon", annotation=annotation)


def test_missing_count_file(tmp_path, annotation):
    with pytest.raises(InputError, match="count table not found"):
        read_counts(tmp_path / "nope.tsv", fmt="matrix", annotation=annotation)


@pytest.mark.parametrize(("name", "sep", "sniffed"), [("c.tsv", ",", "comma-separated (sniffed from its header line, "
                                                       "although its name ends in .tsv)"),
                                                      ("c.csv", "\t", "tab-separated (sniffed from its header line, "
                                                       "although its name ends in .csv)")])
def test_separator_is_sniffed_from_the_header(tmp_path, annotation, caplog, name, sep, sniffed):
    path = write(tmp_path, name, MATRIX.replace("\t", sep))
    with caplog.at_level(logging.INFO):
        counts, genes = read_counts(path, fmt="matrix", annotation=annotation)
    assert counts.shape == (3, 2) and genes["symbol"].tolist() == ["TP53", "BRCA1", "MYGENE"]
    assert f"{path}: read as {sniffed}" in caplog.text


def test_gzipped_csv(tmp_path, annotation, caplog):
    path = tmp_path / "counts.csv.gz"
    path.write_bytes(gzip.compress(MATRIX.replace("\t", ",").encode()))
    with caplog.at_level(logging.INFO):
        counts, _ = read_counts(path, fmt="matrix", annotation=annotation)
    assert counts.shape == (3, 2)
    assert f"{path}: read as comma-separated (sniffed from its header line)" in caplog.text


def test_r_write_table_layout_without_gene_column_name(tmp_path, annotation):
    text = "S1\tS2\nENSG00000141510\t10\t20\nMYGENE\t3\t4\n"
    counts, _ = read_counts(write(tmp_path, "c.tsv", text), fmt="matrix", annotation=annotation)
    assert list(counts.columns) == ["S1", "S2"] and counts.loc["MYGENE", "S2"] == 4


def test_count_path_is_a_folder(tmp_path, annotation):
    with pytest.raises(InputError) as error:
        read_counts(tmp_path, fmt="matrix", annotation=annotation)
    assert (f"{tmp_path}: counts.path names a folder, not a count table; point it at the count file itself; in an "
            "nf-core/rnaseq results folder that is star_salmon/salmon.merged.gene_counts.tsv") in str(error.value)


def test_count_path_is_an_nfcore_results_folder(tmp_path, annotation):
    table = tmp_path / "results/star_salmon/salmon.merged.gene_counts.tsv"
    table.parent.mkdir(parents=True)
    table.write_text("gene_id\tgene_name\tS1\nG1\tG1\t1\n")
    with pytest.raises(InputError) as error:
        read_counts(tmp_path / "results", fmt="nfcore_salmon", annotation=annotation)
    assert f"names a folder, not a count table; point it at the count file itself; count tables found inside: " \
           f"{table}" in str(error.value)


def test_empty_count_file(tmp_path, annotation):
    path = write(tmp_path, "counts.tsv", "")
    with pytest.raises(InputError) as error:
        read_counts(path, fmt="matrix", annotation=annotation)
    assert f"{path}: the file is empty; expected a header line with gene id and sample columns" in str(error.value)


@pytest.mark.parametrize("fmt", ["matrix", "featurecounts"])
def test_header_only_count_table(tmp_path, annotation, fmt):
    header = ("gene_id\tS1\tS2\n" if fmt == "matrix" else
              "# Program:featureCounts\nGeneid\tChr\tStart\tEnd\tStrand\tLength\tS1.bam\n")
    path = write(tmp_path, "counts.tsv", header)
    with pytest.raises(InputError) as error:
        read_counts(path, fmt=fmt, annotation=annotation)
    assert f"{path}: the table has a header but no gene rows" in str(error.value)


def test_largest_count_deseq2_accepts_is_read(tmp_path, annotation):
    path = write(tmp_path, "counts.tsv", f"gene_id\tS1\nG1\t{MAX_COUNT}\n")
    counts, _ = read_counts(path, fmt="matrix", annotation=annotation)
    assert counts.iat[0, 0] == MAX_COUNT


def test_implausible_salmon_estimate(tmp_path, annotation):
    path = write(tmp_path, "salmon.merged.gene_counts.tsv", "gene_id\tgene_name\tA\nG1\tG1\t1.5\nG2\tG2\t1e12\n")
    with pytest.raises(InputError) as error:
        read_counts(path, fmt="nfcore_salmon", annotation=annotation)
    assert "count '1e12' for gene G2 in sample column 'A' (line 3) is above 2,147,483,647" in str(error.value)


def test_featurecounts_lines_count_the_comment_line(tmp_path, annotation):
    text = ("# Program:featureCounts v2.0.6\nGeneid\tChr\tStart\tEnd\tStrand\tLength\tbam/S1.sorted.bam\n"
            "G1\tchr1\t1\t9\t+\t9\t3\nG2\tchr1\t1\t9\t+\t9\t2.5\n")
    path = write(tmp_path, "fc.txt", text)
    with pytest.raises(InputError) as error:
        read_counts(path, fmt="featurecounts", annotation=annotation)
    assert f"{path}: count '2.5' for gene G2 in sample column 'S1' (line 4) is not an integer" in str(error.value)


def test_max_rows_reads_only_the_first_rows(tmp_path):
    path = write(tmp_path, "counts.tsv", "gene_id\tS1\nG1\t1\nG2\t2\nG3\t-1\n")
    counts, _ = read_count_matrix(path, fmt="matrix", max_rows=2)
    assert list(counts.index) == ["G1", "G2"]
    with pytest.raises(InputError, match="line 4"):
        read_count_matrix(path, fmt="matrix")


def test_gene_id_summary_counts_matched_ids_and_shared_symbols(tmp_path, annotation, caplog):
    genes = pd.DataFrame({"gene_id": ["ENSG00000141510", "ENSG00000012048", "TP53", "ENSG99999999999", "MYGENE"],
                          "symbol": ["TP53", "BRCA1", "TP53", "ENSG99999999999", "MYGENE"]})
    with caplog.at_level(logging.WARNING):
        summary = gene_id_summary(genes, annotation, min_annotated_share=0.5, source="counts.tsv")
    assert summary.to_dict("records") == [{"gene_ids": 5, "ensembl_ids": 3, "matched": 3, "matched_share": 0.6,
                                           "shared_symbols": 1}]
    assert caplog.text == ""
    assert gene_id_warning(summary, min_annotated_share=0.5) is None


def test_few_matched_gene_ids_warn(annotation, caplog):
    genes = pd.DataFrame({"gene_id": [f"gene{index}" for index in range(33)] + ["ENSG00000141510"],
                          "symbol": [f"gene{index}" for index in range(33)] + ["TP53"]})
    with caplog.at_level(logging.WARNING):
        summary = gene_id_summary(genes, annotation, min_annotated_share=0.5, source="counts.tsv")
    assert summary["matched_share"].iat[0] == 1 / 34
    assert ("WARNING" in caplog.text and "counts.tsv: only 3 % of gene ids matched the annotation; enrichment and "
            "networks rest on few genes; check the gene-id column") in caplog.text
    assert "unmatched ids look like gene0, gene1, gene2 (qc.min_annotated_share 50 %)" in caplog.text
    assert gene_id_warning(summary, min_annotated_share=0.5).startswith(
        "Only 3 % of gene ids matched the annotation; enrichment and networks rest on few genes; check the gene-id "
        "column (Ensembl gene ids or HGNC symbols)")
