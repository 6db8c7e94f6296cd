"""Rule de_summary: significant genes per contrast, and the contrast plan with skipped contrasts."""
from trialrna.cohort import read_sample_metadata
from trialrna.contrasts import plan_table, scope_plans
from trialrna.de_plots import summarise_files
from trialrna.logs import logged

with logged(snakemake.log[0]):
    summarise_files(snakemake.input.tables, alpha=snakemake.params.alpha,
                    lfc_threshold=snakemake.params.lfc_threshold).to_csv(snakemake.output.summary, sep="\t",
                                                                         index=False)
    plans = scope_plans(read_sample_metadata(snakemake.input.metadata), covariates=snakemake.params.covariates,
                        per_arm=snakemake.params.per_arm, response_rule=snakemake.params.response_rule)
    plan_table(plans).to_csv(snakemake.output.contrasts, sep="\t", index=False)
