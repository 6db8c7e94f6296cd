"""Rule prepare_counts: read the count table, map symbols, match it to the sample sheet, summarise the gene ids."""
from trialrna.annotation import read_gene_annotation
from trialrna.cohort import load_counts, read_sample_metadata
from trialrna.io import gene_id_summary
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    counts, genes = load_counts(
        snakemake.input.counts,
        fmt=snakemake.params.fmt,
        metadata=read_sample_metadata(snakemake.input.metadata),
        annotation_path=snakemake.input.annotation,
        samples_source=snakemake.params.samples_source,
    )
    summary = gene_id_summary(genes, read_gene_annotation(snakemake.input.annotation), source=snakemake.input.counts,
                              min_annotated_share=snakemake.params.min_annotated_share)
    write_table(counts, snakemake.output.counts, index=True)
    write_table(genes, snakemake.output.genes)
    write_table(summary, snakemake.output.gene_id_summary)
