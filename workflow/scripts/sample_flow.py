"""Rule sample_flow: patients and samples from enrolment to each analysis (CONSORT-like)."""
from trialrna.cohort import read_sample_metadata, read_sheet
from trialrna.contrasts import read_plans
from trialrna.flow import plot_sample_flow, sample_flow
from trialrna.logs import logged
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    flow = sample_flow(read_sheet(snakemake.input.clinical), read_sample_metadata(snakemake.input.metadata),
                       read_plans(snakemake.input.plan)[""])
    write_table(flow, snakemake.output.table)
    plot_sample_flow(flow, snakemake.output.figure)
