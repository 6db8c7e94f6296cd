"""Rule clinical_safety: patients with treatment-related adverse events by arm, and the most common terms."""
from trialrna.cohort import read_sheet
from trialrna.logs import logged
from trialrna.safety import common_terms, safety_summary

with logged(snakemake.log[0]):
    events, clinical = read_sheet(snakemake.input.events), read_sheet(snakemake.input.clinical)
    safety_summary(events, clinical).to_csv(snakemake.output.summary, sep="\t", index=False, float_format="%.4g")
    common_terms(events, clinical).to_csv(snakemake.output.terms, sep="\t", index=False, float_format="%.4g")
