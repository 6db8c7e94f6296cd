"""Rule de_summary: genes tested and significantly up and down per contrast."""
from trialrna.de_plots import summarise_files
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    write_table(summarise_files(snakemake.input, alpha=snakemake.params.alpha,
                                lfc_threshold=snakemake.params.lfc_threshold), snakemake.output[0])
