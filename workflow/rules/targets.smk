# What the workflow makes, from the contrast plan and the config: the rule all's targets and the report's inputs.


def de_rule_name(scope, fit_name):
    return f"de_{scope.replace(os.sep, '_')}{fit_name}"


def de_paths():
    """Result paths of every tested contrast (e.g. response_baseline, arm_x/interaction_on_treatment)."""
    return [
        f"{scope}{name}"
        for scope, plan in DE_PLANS.items()
        for name in plan.route_result_names(DE_METHOD)
    ]


def de_tables():
    return [results("de_table", path=path) for path in de_paths()]


def de_figures():
    return [results("de_figure", path=path, kind=kind) for path in de_paths() for kind in DE_FIGURE_KINDS]


def matching(paths, patterns):
    return [path for path in paths if any(fnmatch(path, pattern) for pattern in patterns)]


def gsea_paths():
    whole_cohort = [path for path in de_paths() if "/" not in path]
    return matching(whole_cohort, config["enrichment"]["gsea"]["contrasts"])


def network_paths():
    return matching(de_paths(), config["network"]["contrasts"])


def network_paths_by_scope():
    """Network result paths grouped by scope prefix ("" for the whole cohort, "arm_x/" per arm)."""
    scopes = {}
    for path in network_paths():
        scopes.setdefault(path[: path.rfind("/") + 1], []).append(path)
    return scopes


def network_rule_name(scope):
    return f"network_hubs_{scope.rstrip(os.sep) or 'all'}"


def network_files(path):
    return [results("network_file", path=path, kind=kind) for kind in NETWORK_KINDS]


def ora_tables(path):
    return RESULTS.files("ora_table", {"library": list(LIBRARIES), "direction": list(DIRECTIONS)}, path=path)


def enrichment_outputs():
    outputs = [results("enrichment_heatmap_figure"), results("gene_sets")]
    for path in de_paths():
        outputs += [results("ora_dotplot", path=path), results("ora_barplot", path=path)]
    for path in gsea_paths():
        outputs += [
            results("gsea_figure", path=path, library=library)
            for library in config["enrichment"]["gsea"]["libraries"]
        ]
    return outputs


def network_outputs():
    outputs = [results("module_traits_figure"), results("soft_threshold_figure")]
    if KEY_CONTRAST in network_paths():
        outputs.append(results("hub_score_endpoints"))
    for path in network_paths():
        outputs += network_files(path)
    return outputs


def clinical_outputs():
    outputs = [
        results("response_rates"),
        results("sample_flow_figure"),
        *(results("kaplan_meier_figure", endpoint=endpoint) for endpoint in SURVIVAL),
    ]
    if config["clinical"]["adverse_events"]:
        outputs.append(results("safety_summary"))
    if config["clinical"]["qlq_c30"]:
        outputs.append(results("qlq_c30_figure"))
    return outputs


def qc_outputs():
    names = ["library_stats", "library_sizes_figure", "pca", "pca_figure", "correlation_figure", "outliers"]
    return [results(name) for name in names]


def final_outputs():
    return [
        *qc_outputs(),
        results("de_summary"),
        *de_figures(),
        *clinical_outputs(),
        *enrichment_outputs(),
        *network_outputs(),
        *robustness_outputs(),
    ]


def report_inputs():
    """Files the reviewer's page reads besides the settings and the clinical sheet (named inputs of its rule)."""
    names = ["counts", "genes", "gene_id_summary", "sample_metadata", "de_contrasts", "coexpression_notes"]
    return final_outputs() + de_tables() + [results(name) for name in names]


def input_files():
    """User inputs whose checksums go into the report's provenance block."""
    return {
        "counts": config["counts"]["path"],
        "samples": config["samples"],
        "clinical": config["clinical"]["sheet"],
        "adverse events": config["clinical"]["adverse_events"],
        "QLQ-C30": config["clinical"]["qlq_c30"],
    }


def route_paths(route):
    """Whole-cohort result paths of a DE route."""
    return DE_PLANS[""].route_result_names(route)


def robustness_outputs():
    """Files of the robustness checks that the cohort and the config call for."""
    outputs = []
    if OTHER_ROUTE and route_paths(OTHER_ROUTE):
        outputs += [results("route_agreement"), results("route_agreement_figure")]
        outputs += [results("route_table", route=OTHER_ROUTE, path=path) for path in route_paths(OTHER_ROUTE)]
    if config["robustness"]["composition"]:
        outputs += [results("composition"), results("composition_change"), results("composition_figure")]
    if ADJUSTED_FIT is not None:
        outputs += [results("composition_sensitivity")]
        outputs += [results("adjusted_table", path=name) for name in ADJUSTED_FIT.result_names]
    if outputs and whole_cohort_network_paths():
        outputs.append(results("hub_robustness"))
    return outputs


def whole_cohort_network_paths():
    return [path for path in network_paths() if "/" not in path]


def unadjusted_tables():
    """DESeq2 tables of the fit that the composition sensitivity refits, wherever the workflow writes them."""
    if DE_METHOD == "deseq2":
        return [results("de_table", path=name) for name in ADJUSTED_FIT.result_names]
    if OTHER_ROUTE == "deseq2":
        return [results("route_table", route="deseq2", path=name) for name in ADJUSTED_FIT.result_names]
    return []


def hub_tables(names):
    return [
        results("network_file", path=path, kind="hubs.tsv")
        for path in whole_cohort_network_paths()
        if path in names
    ]
