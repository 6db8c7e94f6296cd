"""Rule de_*: fit one design with pydeseq2 and test all of its contrasts (and its LRT)."""
import pandas as pd

from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.contrasts import scope_plans
from trialrna.de import run_fit, write_result_table
from trialrna.logs import logged

with logged(snakemake.log[0]):
    plan = scope_plans(read_sample_metadata(snakemake.input.metadata), covariates=snakemake.params.covariates,
                       per_arm=snakemake.params.per_arm)[snakemake.params.scope]
    tables = run_fit(read_count_table(snakemake.input.counts), plan.fit(snakemake.params.fit),
                     genes=pd.read_csv(snakemake.input.genes, sep="\t"), alpha=snakemake.params.alpha,
                     n_cpus=snakemake.threads, min_count=snakemake.params.min_count,
                     min_samples=snakemake.params.min_samples)
    for name, path in zip(snakemake.params.names, snakemake.output):
        write_result_table(tables[name], path)
