"""Rule sample_flow: patients and samples from enrolment to each analysis (CONSORT-like)."""
from trialrna.cohort import read_sample_metadata, read_sheet
from trialrna.contrasts import plan_contrasts
from trialrna.flow import plot_sample_flow, sample_flow
from trialrna.logs import logged

with logged(snakemake.log[0]):
    metadata = read_sample_metadata(snakemake.input.metadata)
    flow = sample_flow(read_sheet(snakemake.input.clinical), metadata,
                       plan_contrasts(metadata, covariates=snakemake.params.covariates))
    flow.to_csv(snakemake.output.table, sep="\t", index=False)
    plot_sample_flow(flow, snakemake.output.figure)
