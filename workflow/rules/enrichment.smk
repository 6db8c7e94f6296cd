# GO and KEGG enrichment of every DE contrast: ORA of each direction in every library with its figures (one job
# per contrast), pre-ranked GSEA of the whole-cohort contrasts (enrichment.gsea.contrasts), the cross-contrast heatmap.


wildcard_constraints:
    library="|".join(LIBRARIES),


rule gene_set_manifest:
    input:
        list(LIBRARIES.values()),
    output:
        report(
            results("gene_sets"),
            caption="../report/gene_sets.rst",
            category="Enrichment",
        ),
    params:
        libraries=LIBRARIES,
        pinned_manifest=str(WORKFLOW_ROOT / "resources" / "gene_sets" / "MANIFEST.tsv"),
    log:
        logs("enrichment/gene_sets"),
    benchmark:
        benchmarks("enrichment/gene_sets")
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/gene_set_manifest.py"


rule enrichment_ora:
    input:
        table=results("de_table"),
        libraries=list(LIBRARIES.values()),
    output:
        tables=ora_tables("{path}"),
        dot=report(
            results("ora_dotplot"),
            caption="../report/enrichment_dotplot.rst",
            category="Enrichment",
            subcategory="{path}",
        ),
        bar=report(
            results("ora_barplot"),
            caption="../report/enrichment_barplot.rst",
            category="Enrichment",
            subcategory="{path}",
        ),
    params:
        libraries=list(LIBRARIES),
        de_alpha=config["de"]["alpha"],
        lfc_threshold=config["de"]["lfc_threshold"],
        min_size=config["enrichment"]["min_size"],
        max_size=config["enrichment"]["max_size"],
        alpha=config["enrichment"]["alpha"],
        top_terms=config["enrichment"]["top_terms"],
    log:
        logs("enrichment/{path}/ora"),
    benchmark:
        benchmarks("enrichment/{path}/ora")
    threads: 1
    resources:
        mem_mb=scaled(1500),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/enrichment_ora.py"


rule enrichment_gsea:
    input:
        table=results("de_table"),
        library=lambda wildcards: LIBRARIES[wildcards.library],
    output:
        table=results("gsea_table"),
        figure=report(
            results("gsea_figure"),
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
        logs("enrichment/{path}/{library}.gsea"),
    benchmark:
        benchmarks("enrichment/{path}/{library}.gsea")
    threads: config["enrichment"]["gsea"]["threads"]
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(60),
    conda:
        ENV
    script:
        "../scripts/enrichment_gsea.py"


rule enrichment_heatmap:
    input:
        tables=[table for path in de_paths() for table in ora_tables(path)],
        libraries=list(LIBRARIES.values()),
    output:
        table=results("enrichment_heatmap"),
        figure=report(
            results("enrichment_heatmap_figure"),
            caption="../report/enrichment_heatmap.rst",
            category="Enrichment",
        ),
    params:
        libraries=LIBRARIES,
        alpha=config["enrichment"]["alpha"],
    log:
        logs("enrichment/heatmap"),
    benchmark:
        benchmarks("enrichment/heatmap")
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/enrichment_heatmap.py"
