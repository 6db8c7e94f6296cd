"""Rule clinical_quality_of_life: QLQ-C30 scale scores and mean change from baseline by arm and visit."""
from trialrna.cohort import read_sheet
from trialrna.logs import logged
from trialrna.qlq_c30 import change_from_baseline, plot_change, score_qlq_c30
from trialrna.tables import write_table

with logged(snakemake.log[0]):
    scores = score_qlq_c30(read_sheet(snakemake.input.answers))
    write_table(scores, snakemake.output.scores)
    change = change_from_baseline(scores, read_sheet(snakemake.input.clinical), visits=snakemake.params.timepoints)
    write_table(change, snakemake.output.change)
    plot_change(change, snakemake.output.figure)
