# Sample QC: library sizes, detected genes, log-CPM PCA and sample-sample correlation.


rule qc_library_stats:
    input:
        counts=results("counts"),
        genes=results("genes"),
        metadata=results("sample_metadata"),
    output:
        table=results("library_stats"),
        figure=report(
            results("library_sizes_figure"),
            caption="../report/library_sizes.rst",
            category="Quality control",
        ),
    params:
        max_gene_share=config["qc"]["max_gene_share"],
    log:
        logs("qc_library_stats"),
    benchmark:
        benchmarks("qc_library_stats")
    threads: 1
    resources:
        mem_mb=scaled(1000, 6),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/qc_library_stats.py"


rule qc_pca:
    input:
        counts=results("counts"),
        metadata=results("sample_metadata"),
    output:
        table=results("pca"),
        figure=report(
            results("pca_figure"), caption="../report/pca.rst", category="Quality control"
        ),
    params:
        n_top_genes=config["qc"]["n_top_genes"],
        n_components=config["qc"]["n_components"],
        seed=config["seed"],
    log:
        logs("qc_pca"),
    benchmark:
        benchmarks("qc_pca")
    threads: 1
    resources:
        mem_mb=scaled(1000, 10),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/qc_pca.py"


rule qc_correlation:
    input:
        counts=results("counts"),
        metadata=results("sample_metadata"),
    output:
        table=results("outliers"),
        figure=report(
            results("correlation_figure"),
            caption="../report/sample_correlation.rst",
            category="Quality control",
        ),
    params:
        n_top_genes=config["qc"]["n_top_genes"],
        outlier_mads=config["qc"]["outlier_mads"],
    log:
        logs("qc_correlation"),
    benchmark:
        benchmarks("qc_correlation")
    threads: 1
    resources:
        mem_mb=scaled(1000, 10),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/qc_correlation.py"
