"""Rule qc_pca: log-CPM PCA of the most variable genes, coloured by response, visit and arm."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.qc import pca_table, plot_pca
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    scores, variance_ratio = pca_table(read_count_table(snakemake.input.counts),
                                       n_top_genes=snakemake.params.n_top_genes,
                                       n_components=snakemake.params.n_components, seed=snakemake.params.seed)
    write_table(scores, snakemake.output.table)
    plot_pca(scores, variance_ratio, read_sample_metadata(snakemake.input.metadata), snakemake.output.figure)
