"""Rule network_vst: DESeq2's blind variance-stabilising transformation of all samples."""
from trialrna.coexpression import variance_stabilise
from trialrna.cohort import read_count_table
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    expression = variance_stabilise(read_count_table(snakemake.input.counts), n_cpus=snakemake.threads)
    write_table(expression, snakemake.output[0], index=True)
