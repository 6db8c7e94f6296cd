"""Rule prepare_counts: read the count table, map symbols, match it to the sample sheet."""
from trialrna.cohort import load_counts, read_sample_metadata
from trialrna.logs import logged

with logged(snakemake.log[0]):
    counts, genes = load_counts(
        snakemake.input.counts,
        fmt=snakemake.params.fmt,
        metadata=read_sample_metadata(snakemake.input.metadata),
        annotation_path=snakemake.input.annotation,
        samples_source=snakemake.params.samples_source,
    )
    counts.to_csv(snakemake.output.counts, sep="\t")
    genes.to_csv(snakemake.output.genes, sep="\t", index=False)
