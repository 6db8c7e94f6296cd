"""Rule qc_correlation: sample-sample correlation heatmap and correlation outliers."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import flag_outliers, plot_correlation_heatmap, sample_correlation
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    correlation = sample_correlation(read_count_table(snakemake.input.counts),
                                     n_top_genes=snakemake.params.n_top_genes)
    write_table(flag_outliers(correlation, n_mad=snakemake.params.outlier_mads), snakemake.output.table)
    plot_correlation_heatmap(correlation, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
