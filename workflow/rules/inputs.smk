# Checked inputs: the joined sample metadata and the count table matched to it, with gene symbols.


rule sample_metadata:
    input:
        samples=config["samples"],
        clinical=config["clinical"]["sheet"],
    output:
        "results/samples/sample_metadata.tsv",
    params:
        timepoints=config["timepoints"],
        response_rule=config["response"]["rule"],
        schema_dir=str(SCHEMAS),
    log:
        "results/logs/sample_metadata.log",
    benchmark:
        "results/benchmarks/sample_metadata.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(500),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/sample_metadata.py"


rule prepare_counts:
    input:
        counts=config["counts"]["path"],
        metadata="results/samples/sample_metadata.tsv",
        annotation=ANNOTATION,
    output:
        counts="results/counts/counts.tsv",
        genes="results/counts/genes.tsv",
        gene_id_summary="results/counts/gene_id_summary.tsv",
    params:
        fmt=config["counts"]["format"],
        samples_source=config["samples"],
        min_annotated_share=config["qc"]["min_annotated_share"],
    log:
        "results/logs/prepare_counts.log",
    benchmark:
        "results/benchmarks/prepare_counts.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 12),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/prepare_counts.py"
