"""Rule clinical_safety: patients with treatment-related adverse events by arm, and the most common terms."""
from trialrna.cohort import read_sheet
from trialrna.logs import logged
from trialrna.safety import common_terms, safety_summary
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    events, clinical = read_sheet(snakemake.input.events), read_sheet(snakemake.input.clinical)
    write_table(safety_summary(events, clinical), snakemake.output.summary)
    write_table(common_terms(events, clinical), snakemake.output.terms)
