# Checked inputs: the joined sample metadata and the count table matched to it, with gene symbols.


rule sample_metadata:
    input:
        samples=config["samples"],
        clinical=config["clinical"]["sheet"],
    output:
        results("sample_metadata"),
    params:
        timepoints=config["timepoints"],
        response_rule=config["response"]["rule"],
        schema_dir=str(SCHEMAS),
    log:
        logs("sample_metadata"),
    benchmark:
        benchmarks("sample_metadata")
    threads: 1
    resources:
        mem_mb=scaled(500),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/sample_metadata.py"


rule prepare_counts:
    input:
        counts=config["counts"]["path"],
        metadata=results("sample_metadata"),
        annotation=ANNOTATION,
    output:
        counts=results("counts"),
        genes=results("genes"),
        gene_id_summary=results("gene_id_summary"),
    params:
        fmt=config["counts"]["format"],
        samples_source=config["samples"],
        min_annotated_share=config["qc"]["min_annotated_share"],
    log:
        logs("prepare_counts"),
    benchmark:
        benchmarks("prepare_counts")
    threads: 1
    resources:
        mem_mb=scaled(1000, 12),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/prepare_counts.py"
