# Differential expression: one job per design fit (all of its contrasts tested from that fit, and their figures),
# then a summary. The contrast set comes from the sample sheet (trialrna.contrasts).
for _scope, _plan in DE_PLANS.items():
    for _fit in _plan.fits:
        _names = fit_result_names(_fit)

        rule:
            name:
                de_rule_name(_scope, _fit)
            input:
                counts="results/counts/counts.tsv",
                genes="results/counts/genes.tsv",
                metadata="results/samples/sample_metadata.tsv",
            output:
                tables=[f"results/de/{_scope}{name}.tsv" for name in _names],
                figures=[
                    report(
                        f"results/de/plots/{_scope}{name}.{kind}.png",
                        caption=f"../report/de_{kind}.rst",
                        category="Differential expression",
                        subcategory=f"{_scope}{name}",
                    )
                    for name in _names
                    for kind in DE_FIGURE_KINDS
                ],
            params:
                scope=_scope,
                fit=_fit.name,
                names=_names,
                lfc_threshold=config["de"]["lfc_threshold"],
                covariates=config["de"]["covariates"],
                per_arm=config["de"]["per_arm"],
                alpha=config["de"]["alpha"],
                min_count=config["de"]["min_count"],
                min_samples=config["de"]["min_samples"],
            log:
                f"results/logs/de/{_scope}{_fit.name}.log",
            benchmark:
                f"results/benchmarks/de/{_scope}{_fit.name}.tsv"
            threads: config["de"]["threads"]
            resources:
                mem_mb=mem_mb(2000, 25),
                runtime=runtime(30, 1),
            conda:
                ENV
            script:
                "../scripts/de_fit.py"


rule de_summary:
    input:
        tables=de_tables(),
        metadata="results/samples/sample_metadata.tsv",
    output:
        summary=report(
            "results/de/summary.tsv",
            caption="../report/de_summary.rst",
            category="Differential expression",
        ),
        contrasts=report(
            "results/de/contrasts.tsv",
            caption="../report/de_contrasts.rst",
            category="Differential expression",
        ),
    params:
        covariates=config["de"]["covariates"],
        per_arm=config["de"]["per_arm"],
        response_rule=config["response"]["rule"],
        alpha=config["de"]["alpha"],
        lfc_threshold=config["de"]["lfc_threshold"],
    log:
        "results/logs/de/summary.log",
    benchmark:
        "results/benchmarks/de/summary.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000, 2),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/de_summary.py"
