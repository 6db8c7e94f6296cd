"""Rule de_*: one DE job (a DESeq2 design fit, or the mixed model of a scope); each table and its figures."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.contrasts import read_plans
from trialrna.logs import logged
from trialrna.routes import write_route_outputs
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    params = snakemake.params
    write_route_outputs(read_count_table(snakemake.input.counts), read_sample_metadata(snakemake.input.metadata),
                        read_plans(snakemake.input.plan)[params.scope], route=params.method, scope=params.scope,
                        fit_name=params.fit, genes=read_table(snakemake.input.genes), tables=snakemake.output.tables,
                        figures=snakemake.output.figures, alpha=params.alpha, lfc_threshold=params.lfc_threshold,
                        n_cpus=snakemake.threads, min_count=params.min_count, min_samples=params.min_samples,
                        covariates=params.covariates, response_rule=params.response_rule)
