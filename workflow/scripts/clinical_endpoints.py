"""Rule clinical_endpoints: response rates, differences between arms, survival and biomarkers."""
from trialrna.cohort import read_clinical
from trialrna.endpoints import biomarker_associations, control_arm, rate_differences, response_rates, survival_table
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    params = snakemake.params
    clinical = read_clinical(snakemake.input.clinical, rule=params.response_rule)
    control = control_arm(sorted(clinical["arm"].unique()), params.control_arm)
    rates = response_rates(clinical, evaluable_only=params.evaluable_only,
                           sd_duration_column=params.sd_duration_column, cbr_min_sd_weeks=params.cbr_min_sd_weeks)
    write_table(rates, snakemake.output.rates)
    write_table(rate_differences(rates, control=control), snakemake.output.differences)
    write_table(survival_table(clinical, control=control), snakemake.output.survival)
    write_table(biomarker_associations(clinical, biomarkers=params.biomarkers), snakemake.output.biomarkers)
