# Interaction networks: STRING subnetworks of each contrast's DE genes, cytoHubba hubs, WGCNA-style modules.


rule network_string:
    input:
        [path for key in ("links", "info", "aliases") if (path := config["network"]["ppi"][key])],
    output:
        "results/network/string_edges.tsv",
    params:
        ppi=config["network"]["ppi"],
    log:
        "results/logs/network/string.log",
    benchmark:
        "results/benchmarks/network/string.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(2000, 3),
        runtime=runtime(10),
    conda:
        ENV
    script:
        "../scripts/network_string.py"


rule network_vst:
    input:
        counts="results/counts/counts.tsv",
    output:
        "results/network/vst.tsv",
    log:
        "results/logs/network/vst.log",
    benchmark:
        "results/benchmarks/network/vst.tsv"
    threads: config["network"]["threads"]
    resources:
        mem_mb=mem_mb(1500, 8),
        runtime=runtime(20),
    conda:
        ENV
    script:
        "../scripts/network_vst.py"


rule network_coexpression:
    input:
        vst="results/network/vst.tsv",
        metadata="results/samples/sample_metadata.tsv",
        genes="results/counts/genes.tsv",
    output:
        soft_threshold="results/network/coexpression/soft_threshold.tsv",
        modules="results/network/coexpression/modules.tsv",
        eigengenes="results/network/coexpression/eigengenes.tsv",
        module_traits="results/network/coexpression/module_traits.tsv",
        notes="results/network/coexpression/notes.tsv",
        soft_threshold_figure=report(
            "results/network/coexpression/soft_threshold.png",
            caption="../report/soft_threshold.rst",
            category="Network",
        ),
        module_traits_figure=report(
            "results/network/coexpression/module_traits.png",
            caption="../report/module_traits.rst",
            category="Network",
        ),
    params:
        options=config["network"]["coexpression"],
    log:
        "results/logs/network/coexpression.log",
    benchmark:
        "results/benchmarks/network/coexpression.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(30),
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
            tables=[f"results/de/{path}.tsv" for path in _paths],
            edges="results/network/string_edges.tsv",
            vst="results/network/vst.tsv",
            metadata="results/samples/sample_metadata.tsv",
            genes="results/counts/genes.tsv",
            modules="results/network/coexpression/modules.tsv",
            ora=[table for path in _paths for table in ora_tables(path)],
        output:
            [
                report(
                    f"results/network/{path}.{kind}",
                    caption="../report/network.rst",
                    category="Network",
                    subcategory=path,
                )
                if kind == "network.png"
                else f"results/network/{path}.{kind}"
                for path in _paths
                for kind in NETWORK_KINDS
            ],
        params:
            paths=_paths,
            kinds=NETWORK_KINDS,
            libraries=list(LIBRARIES),
            covariates=config["de"]["covariates"],
            per_arm=config["de"]["per_arm"],
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
            f"results/logs/network/{_scope}hubs.log",
        benchmark:
            f"results/benchmarks/network/{_scope}hubs.tsv"
        threads: 1
        resources:
            mem_mb=mem_mb(2000, 3),
            runtime=runtime(30),
        conda:
            ENV
        script:
            "../scripts/network_hubs.py"


# Only when the key contrast exists and its network is built (a cohort may support no contrast at all).
if KEY_CONTRAST in network_paths():

    rule network_hub_score:
        input:
            hubs=f"results/network/{KEY_CONTRAST}.hubs.tsv",
            vst="results/network/vst.tsv",
            metadata="results/samples/sample_metadata.tsv",
            clinical=config["clinical"]["sheet"],
        output:
            scores="results/network/hub_score.tsv",
            associations="results/network/hub_score_endpoints.tsv",
        params:
            key=KEY_CONTRAST,
            n_top=config["network"]["top_hubs"],
            baseline=config["timepoints"][0],
            rule=config["response"]["rule"],
        log:
            "results/logs/network/hub_score.log",
        benchmark:
            "results/benchmarks/network/hub_score.tsv"
        threads: 1
        resources:
            mem_mb=mem_mb(1500, 3),
            runtime=runtime(10),
        conda:
            ENV
        script:
            "../scripts/network_hub_score.py"
