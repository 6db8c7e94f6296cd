# The reviewer's one-page HTML report (Snakemake's own --report stays complete for bioinformaticians).


rule report_html:
    input:
        report_inputs(),
    output:
        "results/report/index.html",
    params:
        config=config,
        input_files=input_files(),
    log:
        "results/logs/report_html.log",
    benchmark:
        "results/benchmarks/report_html.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(2000, 4),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/report_html.py"
