# The reviewer's one-page HTML report (Snakemake's own --report stays complete for bioinformaticians).


rule record_settings:
    output:
        results("settings"),
    params:
        settings=config,
    log:
        logs("record_settings"),
    benchmark:
        benchmarks("record_settings")
    threads: 1
    resources:
        mem_mb=scaled(200),
        runtime=scaled(2),
    conda:
        ENV
    script:
        "../scripts/record_settings.py"


rule report_html:
    input:
        report_inputs(),
        clinical=config["clinical"]["sheet"],
        settings=results("settings"),
    output:
        results("report"),
    params:
        alpha=config["de"]["alpha"],
        lfc_threshold=config["de"]["lfc_threshold"],
        term_alpha=config["enrichment"]["alpha"],
        min_genes_for_finding=config["enrichment"]["min_genes_for_finding"],
        top_hubs=config["network"]["top_hubs"],
        network_contrasts=config["network"]["contrasts"],
        response_rule=config["response"]["rule"],
        min_annotated_share=config["qc"]["min_annotated_share"],
        max_gene_share=config["qc"]["max_gene_share"],
        libraries=list(LIBRARIES),
        robustness_files=robustness_outputs(),
        input_files=input_files(),
    log:
        logs("report_html"),
    benchmark:
        benchmarks("report_html")
    threads: 1
    resources:
        mem_mb=scaled(2000, 4),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/report_html.py"
