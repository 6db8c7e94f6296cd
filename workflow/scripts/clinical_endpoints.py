"""Rule clinical_endpoints: response rates, differences between arms, survival and biomarkers."""
from trialrna.cohort import read_clinical
from trialrna.endpoints import biomarker_associations, control_arm, rate_differences, response_rates, survival_table
from trialrna.logs import logged

with logged(snakemake.log[0]):
    params = snakemake.params
    clinical = read_clinical(snakemake.input.clinical, rule=params.response_rule)
    control = control_arm(sorted(clinical["arm"].unique()), params.control_arm)
    rates = response_rates(clinical, evaluable_only=params.evaluable_only,
                           sd_duration_column=params.sd_duration_column, cbr_min_sd_weeks=params.cbr_min_sd_weeks)
    rates.to_csv(snakemake.output.rates, sep="\t", index=False, float_format="%.6g")
    rate_differences(rates, control=control).to_csv(snakemake.output.differences, sep="\t", index=False,
                                                     float_format="%.6g")
    survival_table(clinical, control=control).to_csv(snakemake.output.survival, sep="\t", index=False,
                                                     float_format="%.6g")
    biomarker_associations(clinical, biomarkers=params.biomarkers).to_csv(snakemake.output.biomarkers, sep="\t",
                                                                          index=False, float_format="%.6g")
