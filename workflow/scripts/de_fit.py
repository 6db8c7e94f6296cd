"""Rule de_*: fit one design and test all of its contrasts (and its LRT); write each table and its figures."""
import pandas as pd

from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.contrasts import scope_plans
from trialrna.de import run_fit, write_result_table
from trialrna.de_plots import plot_contrast
from trialrna.logs import logged

with logged(snakemake.log[0]):
    params = snakemake.params
    plan = scope_plans(read_sample_metadata(snakemake.input.metadata), covariates=params.covariates,
                       per_arm=params.per_arm)[params.scope]
    tables = run_fit(read_count_table(snakemake.input.counts), plan.fit(params.fit),
                     genes=pd.read_csv(snakemake.input.genes, sep="\t"), alpha=params.alpha, n_cpus=snakemake.threads,
                     min_count=params.min_count, min_samples=params.min_samples)
    figures = iter(snakemake.output.figures)
    for name, path in zip(params.names, snakemake.output.tables):
        write_result_table(tables[name], path)
        plot_contrast(tables[name], **{kind: next(figures) for kind in ("ma", "volcano", "pvalues")},
                      title=f"{params.scope}{name}".replace("/", ": "), alpha=params.alpha,
                      lfc_threshold=params.lfc_threshold)
