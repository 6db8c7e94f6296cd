# Interaction networks: STRING subnetworks of each contrast's DE genes, cytoHubba hubs, WGCNA-style modules.


rule network_string:
    input:
        [path for key in ("links", "info", "aliases") if (path := config["network"]["ppi"][key])],
    output:
        results("string_edges"),
    params:
        ppi=config["network"]["ppi"],
    log:
        logs("network/string"),
    benchmark:
        benchmarks("network/string")
    threads: 1
    resources:
        mem_mb=scaled(2000, 3),
        runtime=scaled(10),
    conda:
        ENV
    script:
        "../scripts/network_string.py"


rule network_vst:
    input:
        counts=results("counts"),
    output:
        results("vst"),
    log:
        logs("network/vst"),
    benchmark:
        benchmarks("network/vst")
    threads: config["network"]["threads"]
    resources:
        mem_mb=scaled(1500, 8),
        runtime=scaled(20),
    conda:
        ENV
    script:
        "../scripts/network_vst.py"


rule network_coexpression:
    input:
        vst=results("vst"),
        metadata=results("sample_metadata"),
        genes=results("genes"),
    output:
        soft_threshold=results("soft_threshold"),
        modules=results("modules"),
        eigengenes=results("eigengenes"),
        module_traits=results("module_traits"),
        notes=results("coexpression_notes"),
        soft_threshold_figure=report(
            results("soft_threshold_figure"),
            caption="../report/soft_threshold.rst",
            category="Network",
        ),
        module_traits_figure=report(
            results("module_traits_figure"),
            caption="../report/module_traits.rst",
            category="Network",
        ),
    params:
        options=config["network"]["coexpression"],
    log:
        logs("network/coexpression"),
    benchmark:
        benchmarks("network/coexpression")
    threads: 1
    resources:
        mem_mb=scaled(3000),
        runtime=scaled(30),
    conda:
        ENV
    script:
        "../scripts/network_coexpression.py"


# One job per scope (whole cohort, each arm): every contrast's subnetwork, hub ranking and exports.
for _scope, _paths in network_paths_by_scope().items():

    rule:
        name:
            network_rule_name(_scope)
        input:
            tables=[results("de_table", path=path) for path in _paths],
            edges=results("string_edges"),
            vst=results("vst"),
            metadata=results("sample_metadata"),
            plan=results("de_plan"),
            genes=results("genes"),
            modules=results("modules"),
            ora=[table for path in _paths for table in ora_tables(path)],
        output:
            [
                report(
                    results("network_file", path=path, kind=kind),
                    caption="../report/network.rst",
                    category="Network",
                    subcategory=path,
                )
                if kind == "network.png"
                else results("network_file", path=path, kind=kind)
                for path in _paths
                for kind in NETWORK_KINDS
            ],
        params:
            paths=_paths,
            kinds=NETWORK_KINDS,
            libraries=list(LIBRARIES),
            max_nodes=config["network"]["max_nodes_drawn"],
            options={
                "alpha": config["de"]["alpha"],
                "lfc_threshold": config["de"]["lfc_threshold"],
                "term_alpha": config["enrichment"]["alpha"],
                "first_neighbours": config["network"]["first_neighbours"],
                "n_top": config["network"]["top_hubs"],
                "n_bootstrap": config["network"]["bootstrap"],
                "epc_networks": config["network"]["epc_networks"],
                "seed": config["seed"],
            },
        log:
            logs(f"network/{_scope}hubs"),
        benchmark:
            benchmarks(f"network/{_scope}hubs")
        threads: 1
        resources:
            mem_mb=scaled(2000, 3),
            runtime=scaled(30),
        conda:
            ENV
        script:
            "../scripts/network_hubs.py"


# Only when the key contrast exists and its network is built (a cohort may support no contrast at all).
if KEY_CONTRAST in network_paths():

    rule network_hub_score:
        input:
            hubs=results("network_file", path=KEY_CONTRAST, kind="hubs.tsv"),
            vst=results("vst"),
            metadata=results("sample_metadata"),
            clinical=config["clinical"]["sheet"],
        output:
            scores=results("hub_score"),
            associations=results("hub_score_endpoints"),
        params:
            key=KEY_CONTRAST,
            n_top=config["network"]["top_hubs"],
            baseline=config["timepoints"][0],
            rule=config["response"]["rule"],
        log:
            logs("network/hub_score"),
        benchmark:
            benchmarks("network/hub_score")
        threads: 1
        resources:
            mem_mb=scaled(1500, 3),
            runtime=scaled(10),
        conda:
            ENV
        script:
            "../scripts/network_hub_score.py"
