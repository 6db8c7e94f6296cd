# Sample QC: library sizes, detected genes, log-CPM PCA and sample-sample correlation.


rule qc_library_stats:
    input:
        counts="results/counts/counts.tsv",
        genes="results/counts/genes.tsv",
        metadata="results/samples/sample_metadata.tsv",
    output:
        table="results/qc/library_stats.tsv",
        figure=report(
            "results/qc/library_sizes.png",
            caption="../report/library_sizes.rst",
            category="Quality control",
        ),
    params:
        max_gene_share=config["qc"]["max_gene_share"],
    log:
        "results/logs/qc_library_stats.log",
    benchmark:
        "results/benchmarks/qc_library_stats.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 6),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/qc_library_stats.py"


rule qc_pca:
    input:
        counts="results/counts/counts.tsv",
        metadata="results/samples/sample_metadata.tsv",
    output:
        table="results/qc/pca.tsv",
        figure=report(
            "results/qc/pca.png", caption="../report/pca.rst", category="Quality control"
        ),
    params:
        n_top_genes=config["qc"]["n_top_genes"],
        n_components=config["qc"]["n_components"],
        seed=config["seed"],
    log:
        "results/logs/qc_pca.log",
    benchmark:
        "results/benchmarks/qc_pca.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 10),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/qc_pca.py"


rule qc_correlation:
    input:
        counts="results/counts/counts.tsv",
        metadata="results/samples/sample_metadata.tsv",
    output:
        table="results/qc/outliers.tsv",
        figure=report(
            "results/qc/sample_correlation.png",
            caption="../report/sample_correlation.rst",
            category="Quality control",
        ),
    params:
        n_top_genes=config["qc"]["n_top_genes"],
        outlier_mads=config["qc"]["outlier_mads"],
    log:
        "results/logs/qc_correlation.log",
    benchmark:
        "results/benchmarks/qc_correlation.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 10),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/qc_correlation.py"
