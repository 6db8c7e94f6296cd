"""Rule enrichment_figures: dot and bar plots of the top ORA terms of one contrast (redundant GO terms merged)."""
from trialrna.enrich import plot_bar, plot_dot, read_ora_tables, top_terms
from trialrna.gene_sets import read_gmt
from trialrna.logs import logged

with logged(snakemake.log[0]):
    sets = {name: read_gmt(path) for name, path in zip(snakemake.params.libraries, snakemake.input.libraries)}
    terms = top_terms(read_ora_tables(snakemake.input.tables), sets, alpha=snakemake.params.alpha,
                      n=snakemake.params.top_terms)
    plot_dot(terms, snakemake.output.dot, title=snakemake.wildcards.path)
    plot_bar(terms, snakemake.output.bar, title=snakemake.wildcards.path)
