# GO and KEGG enrichment of every DE contrast: ORA per direction, pre-ranked GSEA of the whole-cohort contrasts
# (config enrichment.gsea.contrasts), figures.


wildcard_constraints:
    library="|".join(LIBRARIES),


rule gene_set_manifest:
    input:
        list(LIBRARIES.values()),
    output:
        report(
            "results/enrichment/gene_sets.tsv",
            caption="../report/gene_sets.rst",
            category="Enrichment",
        ),
    params:
        libraries=LIBRARIES,
        pinned_manifest=str(WORKFLOW_ROOT / "resources" / "gene_sets" / "MANIFEST.tsv"),
    log:
        "results/logs/enrichment/gene_sets.log",
    benchmark:
        "results/benchmarks/enrichment/gene_sets.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/gene_set_manifest.py"


rule enrichment_ora:
    input:
        table="results/de/{path}.tsv",
        library=lambda wildcards: LIBRARIES[wildcards.library],
    output:
        up="results/enrichment/{path}/{library}.ora_up.tsv",
        down="results/enrichment/{path}/{library}.ora_down.tsv",
    params:
        de_alpha=config["de"]["alpha"],
        lfc_threshold=config["de"]["lfc_threshold"],
        min_size=config["enrichment"]["min_size"],
        max_size=config["enrichment"]["max_size"],
    log:
        "results/logs/enrichment/{path}/{library}.ora.log",
    benchmark:
        "results/benchmarks/enrichment/{path}/{library}.ora.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1500),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/enrichment_ora.py"


rule enrichment_gsea:
    input:
        table="results/de/{path}.tsv",
        library=lambda wildcards: LIBRARIES[wildcards.library],
    output:
        table="results/enrichment/{path}/{library}.gsea.tsv",
        figure=report(
            "results/enrichment/{path}/{library}.gsea.png",
            caption="../report/gsea.rst",
            category="Enrichment",
            subcategory="{path}",
        ),
    params:
        alpha=config["enrichment"]["alpha"],
        min_size=config["enrichment"]["gsea"]["min_size"],
        max_size=config["enrichment"]["gsea"]["max_size"],
        method=config["enrichment"]["gsea"]["method"],
        permutations=config["enrichment"]["gsea"]["permutations"],
        sample_size=config["enrichment"]["gsea"]["sample_size"],
        seed=config["seed"],
    log:
        "results/logs/enrichment/{path}/{library}.gsea.log",
    benchmark:
        "results/benchmarks/enrichment/{path}/{library}.gsea.tsv"
    threads: config["enrichment"]["gsea"]["threads"]
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(60),
    conda:
        ENV
    script:
        "../scripts/enrichment_gsea.py"


rule enrichment_figures:
    input:
        tables=lambda wildcards: ora_tables(wildcards.path),
        libraries=list(LIBRARIES.values()),
    output:
        dot=report(
            "results/enrichment/{path}/dotplot.png",
            caption="../report/enrichment_dotplot.rst",
            category="Enrichment",
            subcategory="{path}",
        ),
        bar=report(
            "results/enrichment/{path}/barplot.png",
            caption="../report/enrichment_barplot.rst",
            category="Enrichment",
            subcategory="{path}",
        ),
    params:
        libraries=list(LIBRARIES),
        alpha=config["enrichment"]["alpha"],
        top_terms=config["enrichment"]["top_terms"],
    log:
        "results/logs/enrichment/{path}/figures.log",
    benchmark:
        "results/benchmarks/enrichment/{path}/figures.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1500),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/enrichment_figures.py"


rule enrichment_heatmap:
    input:
        tables=[table for path in de_paths() for table in ora_tables(path)],
        libraries=list(LIBRARIES.values()),
    output:
        table="results/enrichment/heatmap.tsv",
        figure=report(
            "results/enrichment/heatmap.png",
            caption="../report/enrichment_heatmap.rst",
            category="Enrichment",
        ),
    params:
        libraries=LIBRARIES,
        alpha=config["enrichment"]["alpha"],
    log:
        "results/logs/enrichment/heatmap.log",
    benchmark:
        "results/benchmarks/enrichment/heatmap.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(2000),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/enrichment_heatmap.py"
