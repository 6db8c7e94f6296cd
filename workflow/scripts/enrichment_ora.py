"""Rule enrichment_ora: over-representation of the up and of the down genes of one contrast in one library."""
from trialrna.de import read_result_table
from trialrna.enrich import over_representation
from trialrna.gene_sets import read_gmt
from trialrna.logs import logged

with logged(snakemake.log[0]):
    table, sets = read_result_table(snakemake.input.table), read_gmt(snakemake.input.library)
    options = dict(alpha=snakemake.params.de_alpha, lfc_threshold=snakemake.params.lfc_threshold,
                   min_size=snakemake.params.min_size, max_size=snakemake.params.max_size)
    for direction in ("up", "down"):
        over_representation(table, sets, direction=direction, **options).to_csv(
            snakemake.output[direction], sep="\t", index=False, float_format="%.6g")
