"""Rule simulate_demo_counts: simulate the demo cohort's raw counts and the planted truth."""
from trialrna.annotation import read_gene_annotation
from trialrna.demo import demo_genes, simulate_counts
from trialrna.logs import logged
from trialrna.tables import read_table, write_table

with logged(snakemake.log[0]):
    genes = demo_genes(read_gene_annotation(snakemake.input.annotation), n_genes=snakemake.params.n_genes,
                       seed=snakemake.params.seed)
    counts, truth = simulate_counts(read_table(snakemake.input.samples),
                                    read_table(snakemake.input.clinical), genes=genes,
                                    seed=snakemake.params.seed, timepoints=snakemake.params.timepoints)
    write_table(counts, snakemake.output.counts, index=True)
    write_table(truth, snakemake.output.truth)
