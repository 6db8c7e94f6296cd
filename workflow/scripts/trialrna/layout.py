"""The layout of ``results/``: every file the workflow writes, named once, for the rules, the scripts and the report.

A file is a name and a pattern relative to the results folder; ``{path}`` is a DE result path such as
``interaction_end_of_treatment`` or ``arm_eribulin/response_baseline`` (it may hold a ``/``), the other
wildcards hold no ``/``. :meth:`Layout.file` fills what it is given and leaves the other wildcards in place, so
the same call gives a rule its wildcard pattern and a script its concrete path; :meth:`Layout.parse` reads the
wildcards back from a path.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Name -> pattern under the results folder.
FILES: dict[str, str] = {
    # inputs, checked
    "sample_metadata": "samples/sample_metadata.tsv",
    "counts": "counts/counts.tsv",
    "genes": "counts/genes.tsv",
    "gene_id_summary": "counts/gene_id_summary.tsv",
    "demo_counts": "demo/counts.tsv",
    "demo_truth": "demo/truth.tsv",
    "settings": "settings.json",
    # quality control
    "library_stats": "qc/library_stats.tsv",
    "library_sizes_figure": "qc/library_sizes.png",
    "pca": "qc/pca.tsv",
    "pca_figure": "qc/pca.png",
    "outliers": "qc/outliers.tsv",
    "correlation_figure": "qc/sample_correlation.png",
    # differential expression
    "de_plan": "de/plan.json",
    "de_table": "de/{path}.tsv",
    "de_figure": "de/plots/{path}.{kind}.png",
    "de_summary": "de/summary.tsv",
    "de_contrasts": "de/contrasts.tsv",
    # clinical endpoints
    "response_rates": "clinical/response_rates.tsv",
    "response_rate_differences": "clinical/response_rate_differences.tsv",
    "survival": "clinical/survival.tsv",
    "biomarkers": "clinical/biomarkers.tsv",
    "kaplan_meier_figure": "clinical/km_{endpoint}.png",
    "safety_summary": "clinical/safety_summary.tsv",
    "safety_terms": "clinical/safety_terms.tsv",
    "qlq_c30_scores": "clinical/qlq_c30_scores.tsv",
    "qlq_c30_change": "clinical/qlq_c30_change.tsv",
    "qlq_c30_figure": "clinical/qlq_c30_change.png",
    "sample_flow": "clinical/sample_flow.tsv",
    "sample_flow_figure": "clinical/sample_flow.png",
    # enrichment
    "gene_sets": "enrichment/gene_sets.tsv",
    "ora_table": "enrichment/{path}/{library}.ora_{direction}.tsv",
    "ora_dotplot": "enrichment/{path}/dotplot.png",
    "ora_barplot": "enrichment/{path}/barplot.png",
    "gsea_table": "enrichment/{path}/{library}.gsea.tsv",
    "gsea_figure": "enrichment/{path}/{library}.gsea.png",
    "enrichment_heatmap": "enrichment/heatmap.tsv",
    "enrichment_heatmap_figure": "enrichment/heatmap.png",
    # networks and co-expression
    "string_edges": "network/string_edges.tsv",
    "vst": "network/vst.tsv",
    "network_file": "network/{path}.{kind}",
    "soft_threshold": "network/coexpression/soft_threshold.tsv",
    "soft_threshold_figure": "network/coexpression/soft_threshold.png",
    "modules": "network/coexpression/modules.tsv",
    "eigengenes": "network/coexpression/eigengenes.tsv",
    "module_traits": "network/coexpression/module_traits.tsv",
    "module_traits_figure": "network/coexpression/module_traits.png",
    "coexpression_notes": "network/coexpression/notes.tsv",
    "hub_score": "network/hub_score.tsv",
    "hub_score_endpoints": "network/hub_score_endpoints.tsv",
    # robustness of the findings
    "composition": "robustness/composition.tsv",
    "composition_change": "robustness/composition_change.tsv",
    "composition_figure": "robustness/composition.png",
    "route_table": "robustness/{route}/{path}.tsv",
    "route_agreement": "robustness/route_agreement.tsv",
    "route_agreement_figure": "robustness/route_agreement.png",
    "adjusted_table": "robustness/composition_adjusted/{path}.tsv",
    "composition_sensitivity": "robustness/composition_sensitivity.tsv",
    "hub_robustness": "robustness/hub_robustness.tsv",
    # reports, logs and benchmarks
    "report": "report/index.html",
    "snakemake_report": "report.html",
    "log": "logs/{job}.log",
    "benchmark": "benchmarks/{job}.tsv",
}

#: The files each network contrast gets, by kind (the ``kind`` of ``network_file``).
NETWORK_KINDS = ("hubs.tsv", "hub_terms.tsv", "unconnected.tsv", "cytoscape_edges.tsv", "graphml", "network.png")
#: The figures each DE result table gets (the ``kind`` of ``de_figure``).
DE_FIGURE_KINDS = ("ma", "volcano", "pvalues")
DIRECTIONS = ("up", "down")


class _Partial(dict):
    """Leaves a wildcard that was not given as it is, so a pattern can be filled in part."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def _regex(pattern: str) -> re.Pattern:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>.+?)" if field == "path" else f"(?P<{field}>[^/]+?)")
    return re.compile("".join(parts))


@dataclass(frozen=True)
class Layout:
    """The results folder at ``root`` (``results``, relative to the working directory, for the rules)."""

    root: str | Path = "results"

    def file(self, name: str, **wildcards: str) -> str:
        """The path of file ``name`` with the given wildcards filled (the others stay ``{wildcard}``)."""
        return f"{self.root}/{FILES[name].format_map(_Partial(wildcards))}"

    def parse(self, name: str, path: str | Path) -> dict[str, str]:
        """The wildcards of a path of file ``name`` (a ``ValueError`` if it is not one)."""
        relative = Path(path).relative_to(self.root).as_posix()
        match = _regex(FILES[name]).fullmatch(relative)
        if match is None:
            raise ValueError(f"{path} is not a {name} file of {self.root}")
        return match.groupdict()

    def files(self, name: str, values: Mapping[str, list[str]], **wildcards: str) -> list[str]:
        """Every path of file ``name`` for the product of ``values`` (wildcard -> values), in order."""
        paths = [self.file(name, **wildcards)]
        for key, options in values.items():
            paths = [Layout._fill(path, key, option) for path in paths for option in options]
        return paths

    @staticmethod
    def _fill(path: str, key: str, value: str) -> str:
        return path.replace("{" + key + "}", value)


#: The results folder of a run, as the rules see it.
RESULTS = Layout()
