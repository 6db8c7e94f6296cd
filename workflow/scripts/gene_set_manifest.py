"""Rule gene_set_manifest: source, version, size, checksum and licence of every library used in this run."""
from trialrna.gene_sets import run_manifest
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    write_table(run_manifest(snakemake.params.libraries, pinned_manifest=snakemake.params.pinned_manifest),
                snakemake.output[0])
