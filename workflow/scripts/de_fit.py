"""Rule de_*: fit one design and test all of its contrasts (and its LRT); write each table and its figures."""
from trialrna.cohort import read_count_table
from trialrna.contrasts import read_plans
from trialrna.de import write_fit_outputs
from trialrna.logs import logged
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    params = snakemake.params
    write_fit_outputs(read_count_table(snakemake.input.counts), read_plans(snakemake.input.plan)[params.scope],
                      fit_name=params.fit, scope=params.scope, genes=read_table(snakemake.input.genes),
                      tables=snakemake.output.tables, figures=snakemake.output.figures, alpha=params.alpha,
                      lfc_threshold=params.lfc_threshold, n_cpus=snakemake.threads, min_count=params.min_count,
                      min_samples=params.min_samples)
