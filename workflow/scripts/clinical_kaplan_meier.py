"""Rule clinical_kaplan_meier: Kaplan-Meier curves by arm and by response, with numbers at risk."""
from trialrna.cohort import read_clinical
from trialrna.endpoints import plot_kaplan_meier
from trialrna.logs import logged

with logged(snakemake.log[0]):
    plot_kaplan_meier(read_clinical(snakemake.input.clinical, rule=snakemake.params.response_rule),
                      endpoint=snakemake.wildcards.endpoint, path=snakemake.output[0])
