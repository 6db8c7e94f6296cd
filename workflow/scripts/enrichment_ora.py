"""Rule enrichment_ora: ORA of the up and of the down genes of one contrast in every library, with dot and bar plots."""
from trialrna.tables import read_result_table
from trialrna.enrich import over_representation_by_library, plot_terms, top_terms
from trialrna.gene_sets import read_gmt
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    params = snakemake.params
    sets = {name: read_gmt(path) for name, path in zip(params.libraries, snakemake.input.libraries)}
    tables = over_representation_by_library(read_result_table(snakemake.input.table), sets, alpha=params.de_alpha,
                                            lfc_threshold=params.lfc_threshold, min_size=params.min_size,
                                            max_size=params.max_size)
    for table, path in zip(tables.values(), snakemake.output.tables):
        write_table(table, path)
    terms = top_terms(tables, sets, alpha=params.alpha, n=params.top_terms)
    for kind in ("dot", "bar"):
        plot_terms(terms, snakemake.output[kind], title=snakemake.wildcards.path, kind=kind)
