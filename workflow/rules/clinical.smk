# Clinical endpoints of the trial: response rates, survival, biomarkers, safety, quality of life, sample flow.


rule clinical_endpoints:
    input:
        clinical=config["clinical"]["sheet"],
    output:
        rates=report(
            results("response_rates"),
            caption="../report/response_rates.rst",
            category="Clinical endpoints",
        ),
        differences=report(
            results("response_rate_differences"),
            caption="../report/response_rate_differences.rst",
            category="Clinical endpoints",
        ),
        survival=report(
            results("survival"),
            caption="../report/survival.rst",
            category="Clinical endpoints",
        ),
        biomarkers=results("biomarkers"),
    params:
        response_rule=config["response"]["rule"],
        evaluable_only=config["clinical"]["evaluable_only"],
        sd_duration_column=config["clinical"]["sd_duration_column"],
        cbr_min_sd_weeks=config["clinical"]["cbr_min_sd_weeks"],
        control_arm=config["clinical"]["control_arm"],
        biomarkers=config["clinical"]["biomarkers"],
    log:
        logs("clinical/endpoints"),
    benchmark:
        benchmarks("clinical/endpoints")
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/clinical_endpoints.py"


rule clinical_kaplan_meier:
    input:
        clinical=config["clinical"]["sheet"],
    output:
        report(
            results("kaplan_meier_figure"),
            caption="../report/kaplan_meier.rst",
            category="Clinical endpoints",
        ),
    params:
        response_rule=config["response"]["rule"],
    wildcard_constraints:
        endpoint="pfs|os",
    log:
        logs("clinical/km_{endpoint}"),
    benchmark:
        benchmarks("clinical/km_{endpoint}")
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(5),
    conda:
        ENV
    script:
        "../scripts/clinical_kaplan_meier.py"


rule sample_flow:
    input:
        clinical=config["clinical"]["sheet"],
        metadata=results("sample_metadata"),
        plan=results("de_plan"),
    output:
        table=results("sample_flow"),
        figure=report(
            results("sample_flow_figure"),
            caption="../report/sample_flow.rst",
            category="Clinical endpoints",
        ),
    log:
        logs("clinical/sample_flow"),
    benchmark:
        benchmarks("clinical/sample_flow")
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(5),
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
                results("safety_summary"),
                caption="../report/safety.rst",
                category="Clinical endpoints",
            ),
            terms=report(
                results("safety_terms"),
                caption="../report/safety_terms.rst",
                category="Clinical endpoints",
            ),
        log:
            logs("clinical/safety"),
        benchmark:
            benchmarks("clinical/safety")
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(5),
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
            scores=results("qlq_c30_scores"),
            change=results("qlq_c30_change"),
            figure=report(
                results("qlq_c30_figure"),
                caption="../report/qlq_c30.rst",
                category="Clinical endpoints",
            ),
        params:
            timepoints=config["timepoints"],
        log:
            logs("clinical/qlq_c30"),
        benchmark:
            benchmarks("clinical/qlq_c30")
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(5),
        conda:
            ENV
        script:
            "../scripts/clinical_quality_of_life.py"
