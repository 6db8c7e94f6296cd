"""Rule sample_metadata: validate the sample and clinical sheets and join them."""
from trialrna.cohort import load_sample_metadata, write_sample_metadata
from trialrna.logs import logged

with logged(snakemake.log[0]):
    metadata = load_sample_metadata(
        samples_path=snakemake.input.samples,
        clinical_path=snakemake.input.clinical,
        timepoints=snakemake.params.timepoints,
        response_rule=snakemake.params.response_rule,
        schema_dir=snakemake.params.schema_dir,
    )
    write_sample_metadata(metadata, snakemake.output[0])
