"""Rule enrichment_gsea: pre-ranked GSEA of one contrast (Wald statistic) in one library, with a fixed seed."""
from trialrna.tables import read_result_table
from trialrna.enrich import plot_running_scores, preranked_gsea
from trialrna.gene_sets import read_gmt
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    table, result = preranked_gsea(read_result_table(snakemake.input.table), read_gmt(snakemake.input.library),
                                   min_size=snakemake.params.min_size, max_size=snakemake.params.max_size,
                                   permutations=snakemake.params.permutations, seed=snakemake.params.seed,
                                   threads=snakemake.threads, method=snakemake.params.method,
                                   sample_size=snakemake.params.sample_size)
    write_table(table, snakemake.output.table)
    plot_running_scores(result, table, snakemake.output.figure, alpha=snakemake.params.alpha,
                        title=f"{snakemake.wildcards.path}: {snakemake.wildcards.library}")
