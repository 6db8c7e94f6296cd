"""Rule robustness_other_route: the DE route de.method did not choose, on the whole cohort, and the agreement."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.contrasts import read_plans
from trialrna.logs import logged
from trialrna.robustness import write_other_route
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    params = snakemake.params
    write_other_route(read_count_table(snakemake.input.counts), read_sample_metadata(snakemake.input.metadata),
                      read_plans(snakemake.input.plan)[""], route=params.route, primary_route=params.primary_route,
                      primary=snakemake.input.primary, tables=snakemake.output.tables,
                      agreement=snakemake.output.agreement, figure=snakemake.output.figure, alpha=params.alpha,
                      lfc_threshold=params.lfc_threshold, genes=read_table(snakemake.input.genes),
                      covariates=params.covariates, response_rule=params.response_rule, n_cpus=snakemake.threads,
                      min_count=params.min_count, min_samples=params.min_samples)
