"""Rule gene_set_manifest: source, version, size, checksum and licence of every library used in this run."""
from trialrna.gene_sets import run_manifest
from trialrna.logs import logged

with logged(snakemake.log[0]):
    run_manifest(snakemake.params.libraries, pinned_manifest=snakemake.params.pinned_manifest).to_csv(
        snakemake.output[0], sep="\t", index=False)
