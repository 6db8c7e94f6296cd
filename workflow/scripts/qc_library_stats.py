"""Rule qc_library_stats: library sizes, detected genes and top-gene share per sample."""
import pandas as pd

from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import library_stats, plot_library_stats

with logged(snakemake.log[0]):
    stats = library_stats(read_count_table(snakemake.input.counts), genes=pd.read_csv(snakemake.input.genes, sep="\t"),
                          max_gene_share=snakemake.params.max_gene_share)
    stats.to_csv(snakemake.output.table, sep="\t", index=False)
    plot_library_stats(stats, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
