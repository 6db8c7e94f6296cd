# Differential expression: DESeq2 (de.method: deseq2) runs one job per design fit, all of its contrasts tested from
# that fit; the mixed model (de.method: mixed) one job per scope. Each job draws its tables' figures; then a
# summary. The contrast set comes from the sample sheet (trialrna.contrasts).
_DE_JOBS = [
    (_scope, _fit.name, _fit.result_names)
    for _scope, _plan in DE_PLANS.items()
    for _fit in (_plan.fits if DE_METHOD == "deseq2" else [])
] + [
    (_scope, "mixed", _plan.contrast_names)
    for _scope, _plan in DE_PLANS.items()
    if DE_METHOD == "mixed" and _plan.contrast_names
]
for _scope, _fit_name, _names in _DE_JOBS:
    rule:
        name:
            de_rule_name(_scope, _fit_name)
        input:
            counts=results("counts"),
            genes=results("genes"),
            plan=results("de_plan"),
            metadata=results("sample_metadata"),
        output:
            tables=[results("de_table", path=f"{_scope}{name}") for name in _names],
            figures=[
                report(
                    results("de_figure", path=f"{_scope}{name}", kind=kind),
                    caption=f"../report/de_{kind}.rst",
                    category="Differential expression",
                    subcategory=f"{_scope}{name}",
                )
                for name in _names
                for kind in DE_FIGURE_KINDS
            ],
        params:
            scope=_scope,
            fit=_fit_name,
            method=DE_METHOD,
            covariates=config["de"]["covariates"],
            response_rule=config["response"]["rule"],
            lfc_threshold=config["de"]["lfc_threshold"],
            alpha=config["de"]["alpha"],
            min_count=config["de"]["min_count"],
            min_samples=config["de"]["min_samples"],
        log:
            logs(f"de/{_scope}{_fit_name}"),
        benchmark:
            benchmarks(f"de/{_scope}{_fit_name}")
        threads: config["de"]["threads"]
        resources:
            mem_mb=scaled(2000, 25),
            runtime=scaled(30, 1),
        conda:
            ENV
        script:
            "../scripts/de_fit.py"


rule de_plan:
    input:
        results("sample_metadata"),
    output:
        plan=results("de_plan"),
        contrasts=report(
            results("de_contrasts"),
            caption="../report/de_contrasts.rst",
            category="Differential expression",
        ),
    params:
        covariates=config["de"]["covariates"],
        per_arm=config["de"]["per_arm"],
        response_rule=config["response"]["rule"],
    log:
        logs("de/plan"),
    benchmark:
        benchmarks("de/plan")
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/de_plan.py"


rule de_summary:
    input:
        de_tables(),
    output:
        report(
            results("de_summary"),
            caption="../report/de_summary.rst",
            category="Differential expression",
        ),
    params:
        alpha=config["de"]["alpha"],
        lfc_threshold=config["de"]["lfc_threshold"],
    log:
        logs("de/summary"),
    benchmark:
        benchmarks("de/summary")
    threads: 1
    resources:
        mem_mb=scaled(1000, 2),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/de_summary.py"
