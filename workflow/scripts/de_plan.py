"""Rule de_plan: the designs and contrasts the sample sheet supports (and why others were skipped), for every job."""
from trialrna.cohort import read_sample_metadata
from trialrna.contrasts import plan_table, scope_plans, write_plans
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    plans = scope_plans(read_sample_metadata(snakemake.input[0]), covariates=snakemake.params.covariates,
                        per_arm=snakemake.params.per_arm, response_rule=snakemake.params.response_rule)
    write_plans(plans, snakemake.output.plan)
    write_table(plan_table(plans), snakemake.output.contrasts)
