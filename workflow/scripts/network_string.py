"""Rule network_string: STRING interactions between gene symbols above the configured score."""
from trialrna.logs import logged
from trialrna.ppi import read_string_links
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    ppi = snakemake.params.ppi
    edges = read_string_links(links=ppi["links"], info=ppi["info"], aliases=ppi["aliases"],
                              min_score=ppi["min_score"])
    write_table(edges, snakemake.output[0])
