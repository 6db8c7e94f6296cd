"""Rule qc_library_stats: library sizes and detected genes per sample."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import library_stats, plot_library_stats

with logged(snakemake.log[0]):
    stats = library_stats(read_count_table(snakemake.input.counts))
    stats.to_csv(snakemake.output.table, sep="\t", index=False)
    plot_library_stats(stats, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
