"""Rule network_vst: DESeq2's blind variance-stabilising transformation of all samples."""
from trialrna.coexpression import variance_stabilise
from trialrna.cohort import read_count_table
from trialrna.logs import logged

with logged(snakemake.log[0]):
    expression = variance_stabilise(read_count_table(snakemake.input.counts), n_cpus=snakemake.threads)
    expression.to_csv(snakemake.output[0], sep="\t", float_format="%.6g")
