"""Rule enrichment_heatmap: top terms (rows) across contrasts (columns), signed by direction."""
from trialrna.enrich import heatmap_matrix, plot_heatmap
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    matrix = heatmap_matrix(snakemake.input.tables, libraries=snakemake.params.libraries,
                            alpha=snakemake.params.alpha)
    write_table(matrix, snakemake.output.table, index=True)
    plot_heatmap(matrix, snakemake.output.figure, title="ORA across contrasts (GO BP and KEGG, redundant GO merged)")
