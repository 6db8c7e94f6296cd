# Robustness of the whole cohort's findings: the DE route de.method did not choose, compared with the chosen one;
# blood cell composition and its change over treatment; the key contrast's DESeq2 fit refitted with composition
# scores as covariates; and which top hubs survive each check.


if OTHER_ROUTE and route_paths(OTHER_ROUTE):

    rule robustness_other_route:
        input:
            counts=results("counts"),
            genes=results("genes"),
            metadata=results("sample_metadata"),
            plan=results("de_plan"),
            primary=[results("de_table", path=path) for path in route_paths(DE_METHOD)],
        output:
            tables=[results("route_table", route=OTHER_ROUTE, path=path) for path in route_paths(OTHER_ROUTE)],
            agreement=report(
                results("route_agreement"),
                caption="../report/route_agreement.rst",
                category="Robustness",
            ),
            figure=report(
                results("route_agreement_figure"),
                caption="../report/route_agreement.rst",
                category="Robustness",
            ),
        params:
            route=OTHER_ROUTE,
            primary_route=DE_METHOD,
            covariates=config["de"]["covariates"],
            response_rule=config["response"]["rule"],
            alpha=config["de"]["alpha"],
            lfc_threshold=config["de"]["lfc_threshold"],
            min_count=config["de"]["min_count"],
            min_samples=config["de"]["min_samples"],
        log:
            logs("robustness/other_route"),
        benchmark:
            benchmarks("robustness/other_route")
        threads: config["de"]["threads"]
        resources:
            mem_mb=scaled(2500, 25),
            runtime=scaled(30, 1),
        conda:
            ENV
        script:
            "../scripts/robustness_other_route.py"


if config["robustness"]["composition"]:

    rule robustness_composition:
        input:
            counts=results("counts"),
            genes=results("genes"),
            metadata=results("sample_metadata"),
            signature=str(WORKFLOW_ROOT / "resources" / "cell_types" / "MANIFEST.tsv"),
        output:
            composition=results("composition"),
            change=report(
                results("composition_change"),
                caption="../report/composition.rst",
                category="Robustness",
            ),
            figure=report(
                results("composition_figure"),
                caption="../report/composition.rst",
                category="Robustness",
            ),
        params:
            change_method=config["robustness"]["change_method"],
            marker_fold=config["robustness"]["marker_fold"],
        log:
            logs("robustness/composition"),
        benchmark:
            benchmarks("robustness/composition")
        threads: 1
        resources:
            mem_mb=scaled(2000, 4),
            runtime=scaled(10),
        conda:
            ENV
        script:
            "../scripts/robustness_composition.py"


if ADJUSTED_FIT is not None:

    rule robustness_composition_adjusted:
        input:
            counts=results("counts"),
            genes=results("genes"),
            plan=results("de_plan"),
            composition=results("composition"),
            unadjusted=unadjusted_tables(),
            hubs=hub_tables(ADJUSTED_FIT.result_names),
        output:
            tables=[results("adjusted_table", path=name) for name in ADJUSTED_FIT.result_names],
            sensitivity=report(
                results("composition_sensitivity"),
                caption="../report/composition_sensitivity.rst",
                category="Robustness",
            ),
        params:
            fit=ADJUSTED_FIT.name,
            cell_types=config["robustness"]["adjust_for"],
            top_hubs=config["network"]["top_hubs"],
            alpha=config["de"]["alpha"],
            min_count=config["de"]["min_count"],
            min_samples=config["de"]["min_samples"],
        log:
            logs("robustness/composition_adjusted"),
        benchmark:
            benchmarks("robustness/composition_adjusted")
        threads: config["de"]["threads"]
        resources:
            mem_mb=scaled(2500, 25),
            runtime=scaled(30, 1),
        conda:
            ENV
        script:
            "../scripts/robustness_composition_adjusted.py"


if results("hub_robustness") in robustness_outputs():

    rule robustness_hubs:
        input:
            hubs=hub_tables(de_paths()),
            other=(
                [results("route_table", route=OTHER_ROUTE, path=path) for path in route_paths(OTHER_ROUTE)]
                if OTHER_ROUTE
                else []
            ),
            adjusted=(
                [results("adjusted_table", path=name) for name in ADJUSTED_FIT.result_names]
                if ADJUSTED_FIT is not None
                else []
            ),
        output:
            report(
                results("hub_robustness"),
                caption="../report/hub_robustness.rst",
                category="Robustness",
            ),
        params:
            other_route=OTHER_ROUTE,
            top_hubs=config["network"]["top_hubs"],
            alpha=config["de"]["alpha"],
            lfc_threshold=config["de"]["lfc_threshold"],
        log:
            logs("robustness/hubs"),
        benchmark:
            benchmarks("robustness/hubs")
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(5),
        conda:
            ENV
        script:
            "../scripts/robustness_hubs.py"
