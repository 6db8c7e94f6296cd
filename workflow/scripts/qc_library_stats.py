"""Rule qc_library_stats: library sizes, detected genes and top-gene share per sample."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import library_stats, plot_library_stats
from trialrna.tables import read_table, write_table

with logged(snakemake.log[0]):
    stats = library_stats(read_count_table(snakemake.input.counts), genes=read_table(snakemake.input.genes),
                          max_gene_share=snakemake.params.max_gene_share)
    write_table(stats, snakemake.output.table)
    plot_library_stats(stats, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
