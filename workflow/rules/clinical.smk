# Clinical endpoints of the trial: response rates, survival, biomarkers, safety, quality of life, sample flow.


rule clinical_endpoints:
    input:
        clinical=config["clinical"]["sheet"],
    output:
        rates=report(
            "results/clinical/response_rates.tsv",
            caption="../report/response_rates.rst",
            category="Clinical endpoints",
        ),
        differences=report(
            "results/clinical/response_rate_differences.tsv",
            caption="../report/response_rate_differences.rst",
            category="Clinical endpoints",
        ),
        survival=report(
            "results/clinical/survival.tsv",
            caption="../report/survival.rst",
            category="Clinical endpoints",
        ),
        biomarkers="results/clinical/biomarkers.tsv",
    params:
        response_rule=config["response"]["rule"],
        evaluable_only=config["clinical"]["evaluable_only"],
        sd_duration_column=config["clinical"]["sd_duration_column"],
        cbr_min_sd_weeks=config["clinical"]["cbr_min_sd_weeks"],
        control_arm=config["clinical"]["control_arm"],
        biomarkers=config["clinical"]["biomarkers"],
    log:
        "results/logs/clinical/endpoints.log",
    benchmark:
        "results/benchmarks/clinical/endpoints.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/clinical_endpoints.py"


rule clinical_kaplan_meier:
    input:
        clinical=config["clinical"]["sheet"],
    output:
        report(
            "results/clinical/km_{endpoint}.png",
            caption="../report/kaplan_meier.rst",
            category="Clinical endpoints",
        ),
    params:
        response_rule=config["response"]["rule"],
    wildcard_constraints:
        endpoint="pfs|os",
    log:
        "results/logs/clinical/km_{endpoint}.log",
    benchmark:
        "results/benchmarks/clinical/km_{endpoint}.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/clinical_kaplan_meier.py"


rule sample_flow:
    input:
        clinical=config["clinical"]["sheet"],
        metadata="results/samples/sample_metadata.tsv",
    output:
        table="results/clinical/sample_flow.tsv",
        figure=report(
            "results/clinical/sample_flow.png",
            caption="../report/sample_flow.rst",
            category="Clinical endpoints",
        ),
    params:
        covariates=config["de"]["covariates"],
    log:
        "results/logs/clinical/sample_flow.log",
    benchmark:
        "results/benchmarks/clinical/sample_flow.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(5),
    conda:
        ENV
    script:
        "../scripts/sample_flow.py"


if config["clinical"]["adverse_events"]:

    rule clinical_safety:
        input:
            events=config["clinical"]["adverse_events"],
            clinical=config["clinical"]["sheet"],
        output:
            summary=report(
                "results/clinical/safety_summary.tsv",
                caption="../report/safety.rst",
                category="Clinical endpoints",
            ),
            terms=report(
                "results/clinical/safety_terms.tsv",
                caption="../report/safety_terms.rst",
                category="Clinical endpoints",
            ),
        log:
            "results/logs/clinical/safety.log",
        benchmark:
            "results/benchmarks/clinical/safety.tsv"
        threads: 1
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(5),
        conda:
            ENV
        script:
            "../scripts/clinical_safety.py"


if config["clinical"]["qlq_c30"]:

    rule clinical_quality_of_life:
        input:
            answers=config["clinical"]["qlq_c30"],
            clinical=config["clinical"]["sheet"],
        output:
            scores="results/clinical/qlq_c30_scores.tsv",
            change="results/clinical/qlq_c30_change.tsv",
            figure=report(
                "results/clinical/qlq_c30_change.png",
                caption="../report/qlq_c30.rst",
                category="Clinical endpoints",
            ),
        params:
            timepoints=config["timepoints"],
        log:
            "results/logs/clinical/qlq_c30.log",
        benchmark:
            "results/benchmarks/clinical/qlq_c30.tsv"
        threads: 1
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(5),
        conda:
            ENV
        script:
            "../scripts/clinical_quality_of_life.py"
