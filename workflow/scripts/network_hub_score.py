"""Rule network_hub_score: baseline expression of the key contrast's top hubs against response and PFS/OS."""
from trialrna.tables import read_expression
from trialrna.cohort import read_clinical, read_sample_metadata
from trialrna.endpoints import score_associations
from trialrna.logs import logged
from trialrna.network import baseline_hub_score
from trialrna.tables import read_table, write_table

with logged(snakemake.log[0]):
    metadata = read_sample_metadata(snakemake.input.metadata)
    score = baseline_hub_score(read_expression(snakemake.input.vst), metadata,
                               read_table(snakemake.input.hubs), n_top=snakemake.params.n_top,
                               baseline=snakemake.params.baseline)
    write_table(score.rename_axis("patient").reset_index(), snakemake.output.scores)
    associations = score_associations(score, read_clinical(snakemake.input.clinical, rule=snakemake.params.rule),
                                      name=f"top {snakemake.params.n_top} hubs of {snakemake.params.key}")
    write_table(associations, snakemake.output.associations)
