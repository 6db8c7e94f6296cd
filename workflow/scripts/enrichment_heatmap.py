"""Rule enrichment_heatmap: top terms (rows) across contrasts (columns), signed by direction."""
from trialrna.enrich import heatmap_matrix, plot_heatmap
from trialrna.logs import logged

with logged(snakemake.log[0]):
    matrix = heatmap_matrix(snakemake.input.tables, libraries=snakemake.params.libraries,
                            alpha=snakemake.params.alpha)
    matrix.to_csv(snakemake.output.table, sep="\t", float_format="%.4g")
    plot_heatmap(matrix, snakemake.output.figure, title="ORA across contrasts (GO BP and KEGG, redundant GO merged)")
