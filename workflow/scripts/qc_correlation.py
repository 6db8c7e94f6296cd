"""Rule qc_correlation: sample-sample correlation heatmap and correlation outliers."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import flag_outliers, plot_correlation_heatmap, sample_correlation

with logged(snakemake.log[0]):
    correlation = sample_correlation(read_count_table(snakemake.input.counts),
                                     n_top_genes=snakemake.params.n_top_genes)
    flag_outliers(correlation, n_mad=snakemake.params.outlier_mads).to_csv(
        snakemake.output.table, sep="\t", index=False, float_format="%.6g")
    plot_correlation_heatmap(correlation, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
