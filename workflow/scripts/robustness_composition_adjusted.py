"""Rule robustness_composition_adjusted: the key contrast's DESeq2 fit refitted with composition covariates."""
from trialrna.cohort import read_count_table
from trialrna.contrasts import read_plans
from trialrna.logs import logged
from trialrna.robustness import write_composition_adjusted
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    params = snakemake.params
    write_composition_adjusted(read_count_table(snakemake.input.counts), read_table(snakemake.input.genes),
                               read_plans(snakemake.input.plan)[""], read_table(snakemake.input.composition),
                               fit_name=params.fit, cell_types=params.cell_types, unadjusted=snakemake.input.unadjusted,
                               hubs=snakemake.input.hubs, top_hubs=params.top_hubs, tables=snakemake.output.tables,
                               sensitivity=snakemake.output.sensitivity, alpha=params.alpha, n_cpus=snakemake.threads,
                               min_count=params.min_count, min_samples=params.min_samples)
