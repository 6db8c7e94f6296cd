"""Rule robustness_composition: blood cell composition per sample, its change over treatment, the figure."""
from trialrna.cohort import read_count_table, read_sample_metadata
from trialrna.logs import logged
from trialrna.robustness import write_composition
from trialrna.tables import read_table

with logged(snakemake.log[0]):
    write_composition(read_count_table(snakemake.input.counts), read_table(snakemake.input.genes),
                      read_sample_metadata(snakemake.input.metadata), signature_manifest=snakemake.input.signature,
                      composition=snakemake.output.composition, change=snakemake.output.change,
                      figure=snakemake.output.figure, change_method=snakemake.params.change_method,
                      marker_fold=snakemake.params.marker_fold)
