"""Rule simulate_demo_counts: simulate the demo cohort's raw counts and the planted truth."""
import pandas as pd

from trialrna.annotation import read_gene_annotation
from trialrna.demo import demo_genes, simulate_counts
from trialrna.logs import logged

with logged(snakemake.log[0]):
    genes = demo_genes(read_gene_annotation(snakemake.input.annotation), n_genes=snakemake.params.n_genes,
                       seed=snakemake.params.seed)
    counts, truth = simulate_counts(pd.read_csv(snakemake.input.samples, sep="\t"),
                                    pd.read_csv(snakemake.input.clinical, sep="\t"), genes=genes,
                                    seed=snakemake.params.seed, timepoints=snakemake.params.timepoints)
    counts.to_csv(snakemake.output.counts, sep="\t")
    truth.to_csv(snakemake.output.truth, sep="\t", index=False)
