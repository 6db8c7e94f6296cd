"""The reviewer's report: one self-contained HTML page (jinja2) built from the workflow's own result tables.

Figures are embedded as data URIs, tables are plain HTML made sortable and searchable by a few lines of inline
JavaScript, every user-supplied string is escaped by jinja2's autoescaping, and nothing is fetched from a network.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import platform
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from trialrna.annotation import sha256sum
from trialrna.composition import MIN_MARKERS
from trialrna.endpoints import ALL_ARMS
from trialrna.enrich import collapse_redundant, read_ora_tables, term_label
from trialrna.io import annotation_warning
from trialrna.layout import DE_FIGURE_KINDS, DIRECTIONS, Layout
from trialrna.plots import GROUP_COLOURS, NOT_GROUPED, plt, save
from trialrna.tables import read_table
from trialrna.vocabulary import (
    RESPONDER_CODES,
    UNASSIGNED_MODULE,
    WHOLE_COHORT,
    intended_key_contrast,
    key_contrast,
    parse_contrast,
    significant,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "report" / "templates"
PACKAGES = ("snakemake", "pydeseq2", "gseapy", "networkx", "scanpy", "pandas", "numpy", "scipy", "statsmodels",
            "lifelines", "matplotlib", "jinja2", "scikit-misc", "blitzgsea")
RULE_NAMES = {"orr": "objective response", "cbr": "clinical benefit"}


@dataclass(frozen=True)
class ReportParams:
    """The settings the page computes with (the rule passes them; the full settings are only shown)."""

    alpha: float
    lfc_threshold: float
    term_alpha: float
    min_genes_for_finding: int
    top_hubs: int
    network_contrasts: Sequence[str]
    response_rule: str
    min_annotated_share: float
    max_gene_share: float
    libraries: Sequence[str]
    #: Robustness files this run made (the section never reads a file left by an earlier run's settings).
    robustness_files: Sequence[str] = ()


def response_rule_words(rule: str) -> str:
    """``responders: CR or PR; non-responders: SD or PD (objective response)`` for a response rule."""
    responders = [code for code in ("CR", "PR", "SD", "PD") if code in RESPONDER_CODES[rule]]
    others = [code for code in ("CR", "PR", "SD", "PD") if code not in RESPONDER_CODES[rule]]
    return (f"responders: {', '.join(responders[:-1]) + ' or ' if len(responders) > 1 else ''}{responders[-1]}; "
            f"non-responders: {', '.join(others[:-1]) + ' or ' if len(others) > 1 else ''}{others[-1]} "
            f"({RULE_NAMES[rule]})")


def image(path: str | Path) -> str | None:
    """A PNG as a data URI, or None when the figure was not made."""
    path = Path(path)
    if not path.exists():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def read_optional(path: str | Path) -> pd.DataFrame | None:
    """A result table, or None when this run did not make it."""
    return read_table(path) if Path(path).exists() else None


def html_table(table: pd.DataFrame | None, *, digits: int = 3, table_id: str = "", limit: int | None = None
               ) -> dict[str, Any] | None:
    """Rows of strings for the template (which escapes them); numbers rounded to ``digits`` significant digits."""
    if table is None:
        return None
    shown = table.head(limit) if limit else table

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            if np.isnan(value):
                return ""
            if np.isinf(value):
                return "not reached"
            return f"{value:.{digits}g}"
        return str(value)

    return {"id": table_id, "columns": [str(c) for c in shown.columns],
            "rows": [[cell(v) for v in row] for row in shown.itertuples(index=False)], "total": len(table)}


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the config as canonical JSON: two runs with the same hash had the same settings."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def software_versions() -> list[tuple[str, str]]:
    versions = [("python", platform.python_version())]
    for package in PACKAGES:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            continue
    return versions


def plot_trajectories(counts: pd.DataFrame, metadata_table: pd.DataFrame, genes: pd.DataFrame,
                      gene_ids: Sequence[str], path: str | Path, *, title: str) -> None:
    """Per-patient log2 CPM of the chosen genes over the visits, one line per patient, coloured by response."""
    cpm = np.log2(counts / counts.sum(axis=0) * 1e6 + 1)
    symbols = genes.set_index("gene_id")["symbol"]
    visits = list(metadata_table["timepoint"].cat.categories)
    grouped = metadata_table[metadata_table["group"].notna()]
    columns = min(3, max(len(gene_ids), 1))
    rows = int(np.ceil(len(gene_ids) / columns)) or 1
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    colours = GROUP_COLOURS
    for axis, gene in zip(axes.ravel(), gene_ids, strict=False):  # the grid may have spare axes
        for (_, group), samples in grouped.groupby(["patient", "group"], observed=True):
            ordered = samples.sort_values("timepoint")
            axis.plot([visits.index(v) for v in ordered["timepoint"]], cpm.loc[gene, ordered["sample"]],
                      color=colours[group], alpha=0.35, linewidth=0.9)
        for group, colour in colours.items():
            means = [cpm.loc[gene, grouped[(grouped["group"] == group) & (grouped["timepoint"] == v)]["sample"]].mean()
                     for v in visits]
            axis.plot(range(len(visits)), means, color=colour, linewidth=3, label=group.replace("_", "-"))
        axis.set_xticks(range(len(visits)), [v.replace("_", " ") for v in visits], fontsize=8)
        axis.set_title(symbols.get(gene, gene), fontsize=10)
        axis.set_ylabel("log2 CPM", fontsize=8)
    for axis in axes.ravel()[len(gene_ids):]:
        axis.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    save(fig, path)


def _key_contrast(summary: pd.DataFrame | None, visits: Sequence[str]) -> str | None:
    """:func:`trialrna.vocabulary.key_contrast` among the whole-cohort contrasts of the DE summary."""
    if summary is None or summary.empty:
        return None
    return key_contrast(summary.loc[summary["scope"] == WHOLE_COHORT, "contrast"].tolist(), visits)


def _significant(table: pd.DataFrame, *, alpha: float, lfc_threshold: float) -> pd.DataFrame:
    """The significant genes of a DE table (:func:`trialrna.vocabulary.significant`), by p-value."""
    up, down = significant(table, alpha=alpha, lfc_threshold=lfc_threshold)
    return table[up | down].sort_values("pvalue")


def not_estimable(table: pd.DataFrame | None) -> pd.Series:
    """Rows of a survival or hub-score table whose hazard ratio is not estimable (``estimable`` False)."""
    if table is None or "estimable" not in table:
        return pd.Series(False, index=table.index if table is not None else [])
    return table["estimable"].astype(str).eq("False")


def skipped_reason(plan: pd.DataFrame | None, name: str) -> str | None:
    """Why the whole-cohort contrast ``name`` was skipped, from the plan table (``results/de/contrasts.tsv``)."""
    if plan is None:
        return None
    family = name.split("_", 1)[0]
    rows = plan[(plan["scope"] == WHOLE_COHORT) & (plan["status"] == "skipped") &
                plan["contrast"].isin([name, f"{family}_*"])]
    return rows["description"].iat[0] if len(rows) else None


def _gene_sentence(key: str, hits: pd.DataFrame, *, alpha: float, baseline: str) -> str:
    """What the key contrast's significant genes say, in the words of its family."""
    family, visit, group = parse_contrast(key)
    genes = "1 gene" if len(hits) == 1 else f"{len(hits)} genes"
    up, down = int((hits["log2FoldChange"] > 0).sum()), int((hits["log2FoldChange"] < 0).sum())
    if hits.empty:
        meaning = {"interaction": "the change over treatment did not differ detectably between responders and "
                                  "non-responders",
                   "time": f"no detectable change from {baseline} to {visit} in {str(group).replace('_', '-')}",
                   "response": f"no detectable difference between responders and non-responders at {visit}"}
        return (f"No gene passed the adjusted p-value threshold of {alpha:g} in {key}: "
                f"{meaning.get(family, 'no detectable effect')}.")
    top = ", ".join(f"{row.symbol} (log2FC {row.log2FoldChange:+.2f}, padj {row.padj:.1e})"
                    for row in hits.head(5).itertuples())
    if family == "time":
        said = (f"{genes} changed from {baseline} to {visit} in {str(group).replace('_', '-')} ({key}: "
                f"{up} rose, {down} fell).")
    elif family == "response":
        said = (f"{genes} differed between responders and non-responders at {visit} ({key}: {up} higher "
                f"in responders, {down} higher in non-responders).")
    else:
        said = (f"{genes} changed differently between responders and non-responders ({key}: {down} rose "
                f"more, or fell less, in non-responders; {up} in responders).")
    return f"{said} Strongest: {top}."


def _pathway_sentence(key: str, terms: pd.DataFrame, *, min_genes: int) -> str | None:
    """The key contrast's strongest enriched terms resting on at least ``min_genes`` genes, or why none is cited."""
    if terms.empty:
        return None
    terms = terms.sort_values("padj", kind="stable")
    cited = terms[terms["overlap"] >= min_genes]
    if "genes" in cited and "p" in cited:
        # Nested GO terms (taxis, chemotaxis) resting on the same genes are one finding, not several.
        cited = collapse_redundant(cited, {}).sort_values("padj", kind="stable")
    if cited.empty:
        best = terms.iloc[0]
        return (f"Enrichment of {key}: no term rested on at least {min_genes} genes (the strongest, "
                f"{term_label(best['term'], best['id'])}, on {int(best['overlap'])}), so no pathway is cited as a "
                "finding.")
    labels = [term_label(term, identifier) for term, identifier in zip(cited["term"], cited["id"], strict=True)]
    cited = cited.assign(label=labels).drop_duplicates("label").head(4)
    named = "; ".join(f"{row.label} ({row.library}, {row.direction}, {int(row.overlap)} genes, padj {row.padj:.1e})"
                      for row in cited.itertuples())
    return f"Pathways behind {key}: {named}."


def findings(*, key_table: pd.DataFrame | None, summary: pd.DataFrame | None, key: str | None, alpha: float,
             rates: pd.DataFrame | None, differences: pd.DataFrame | None, survival: pd.DataFrame | None,
             lfc_threshold: float = 0.0, terms: pd.DataFrame | None, n_patients: int, n_samples: int, n_analysed: int,
             visits: Sequence[str], plan: pd.DataFrame | None = None, min_genes: int = 3,
             hubs: pd.DataFrame | None = None, network_note: str | None = None,
             modules: pd.DataFrame | None = None, module_note: str | None = None, n_top: int = 10) -> list[str]:
    """Plain-words statements of the strongest findings, each with its numbers, then the limits.

    Parameters
    ----------
    key
        The key contrast tested (None when the cohort supported no contrast); when it is not the trial's
        question (:func:`trialrna.contrasts.intended_key_contrast`), the first sentence says why, from ``plan``.
    terms
        The key contrast's significant ORA terms (``library, direction, term, id, overlap, padj``); only terms
        resting on at least ``min_genes`` genes are cited as pathways.
    hubs, network_note
        The key contrast's hub table when its network was built and has hubs; otherwise ``network_note`` says
        why there are none.
    module_note
        Why modules cannot be related to response, if they cannot.
    """
    said = []
    wanted = intended_key_contrast(visits)
    if key != wanted:
        reason = skipped_reason(plan, wanted) or "it is not in the contrast plan"
        said.append(f"No contrast could be tested in this cohort, so there are no gene, pathway or network findings: "
                    f"{wanted} could not be estimated ({reason})." if key is None else
                    f"The trial's key contrast {wanted} could not be tested ({reason}); the gene, pathway and "
                    f"network findings below are for {key} instead.")
    if key:
        said.append(_gene_sentence(key, _significant(key_table, alpha=alpha, lfc_threshold=lfc_threshold),
                                   alpha=alpha, baseline=visits[0]))
    for scope in sorted(set(summary["scope"]) - {WHOLE_COHORT}) if summary is not None else []:
        row = summary[(summary["scope"] == scope) & (summary["contrast"] == key)]
        if not row.empty:
            said.append(f"Within {scope.removeprefix('arm_')}: {int(row['up'].iat[0] + row['down'].iat[0])} genes "
                        f"significant in {key}.")
    if key and terms is not None:
        sentence = _pathway_sentence(key, terms, min_genes=min_genes)
        said += [sentence] if sentence else []
    if hubs is not None and not hubs.empty:
        named = ", ".join(row.symbol + ("" if pd.isna(row.stability) else f" ({row.stability:.0%})")
                          for row in hubs.head(5).itertuples())
        said.append(f"Key action nodes of {key}, by the consensus of the eleven cytoHubba methods on its STRING "
                    f"network: {named}; in brackets, how often a patient-bootstrap replicate kept the gene among "
                    f"its top {n_top} hubs. The hub table lists the enriched terms each belongs to.")
    elif network_note:
        said.append(network_note)
    if modules is not None and not modules.empty:
        row = modules.iloc[0]
        numbers = f"eigengene r = {row['r_response']:+.2f}, p = {row['p_response']:.1e}"
        if modules["p_response"].isna().all():
            said.append("Co-expression modules could not be related to response: "
                        f"{module_note or 'response has a single value among the samples'}.")
        elif row["p_response"] < alpha:
            said.append(f"Co-expression module {row['module']} ({row['genes']} genes; hubs {row['hubs']}) tracks "
                        f"response ({numbers}; samples of a patient are not independent, so p is optimistic).")
        else:
            said.append(f"No co-expression module tracked response (closest: {row['module']}, {row['genes']} genes, "
                        f"{numbers}).")
    if rates is not None and differences is not None and not differences.empty:
        orr = differences[differences["endpoint"] == "ORR"].iloc[0]
        said.append(f"ORR was {orr['rate']:.0%} on {orr['arm']} and {orr['control_rate']:.0%} on "
                    f"{orr['control_arm']} (difference {orr['difference']:+.0%}, 95 % CI {orr['ci_low']:+.0%} to "
                    f"{orr['ci_high']:+.0%}, Fisher p = {orr['fisher_p']:.2g}).")
    elif rates is not None and rates["arm"].nunique() == 2:  # one arm and the pooled one
        orr = rates[(rates["endpoint"] == "ORR") & (rates["arm"] != ALL_ARMS)].iloc[0]
        said.append(f"ORR was {orr['rate']:.0%} (95 % CI {orr['ci_low']:.0%} to {orr['ci_high']:.0%}; "
                    f"{int(orr['responders'])} of {int(orr['n'])}) in this single-arm study, with no comparator.")
    if survival is not None and not survival.empty:
        compared = survival[(survival["endpoint"] == "PFS") & (survival["comparison"] == "arm") &
                            (survival["hr"].notna() | not_estimable(survival))]
        if not compared.empty:
            row = compared.iloc[0]
            if not_estimable(compared).iat[0]:
                said.append(f"PFS hazard ratio {row['group']} vs control: not estimable ({row['note']}).")
            else:
                said.append(f"PFS hazard ratio {row['group']} vs control: {row['hr']:.2f} (95 % CI "
                            f"{row['hr_ci_low']:.2f}-{row['hr_ci_high']:.2f}, log-rank p = {row['p']:.2g}).")
    said.append(f"Limits: {n_patients} patients ({n_samples} samples, {n_analysed} patients with a response "
                "group) give little power for modest effects; thousands of genes and many contrasts are tested, "
                "so individual genes near the threshold may be false positives even after FDR control; response "
                "groups are defined after treatment; there is no validation cohort, so these are hypotheses to "
                "confirm in an independent trial.")
    return said


def network_note(*, key: str | None, patterns: Sequence[str], hubs: pd.DataFrame | None,
                 unconnected: pd.DataFrame | None) -> str | None:
    """Why the key contrast has no hubs to name (None when it has): no contrast, no network built, or no
    significant genes that interact in STRING."""
    if key is None:
        return "No interaction network: no contrast could be tested."
    if not any(fnmatch(key, pattern) for pattern in patterns):
        return (f"No interaction network was built for {key}: network.contrasts ({', '.join(patterns)}) does not "
                "include it.")
    if hubs is not None and not hubs.empty:
        return None
    if unconnected is None or unconnected.empty:
        return f"The STRING network of {key} is empty: no gene was significant in {key}."
    counts = unconnected["status"].value_counts()
    return (f"The STRING network of {key} has no hubs: no two of its significant genes interact "
            f"({counts.get('isolated', 0)} isolated, {counts.get('not in STRING', 0)} not in STRING).")


def module_summary(layout: Layout, *, n_hubs: int = 3) -> pd.DataFrame | None:
    """One row per co-expression module (the unassigned genes left out): size, top kME hubs and eigengene
    correlation with response, most response-correlated first."""
    members = read_optional(layout.file("modules"))
    traits = read_optional(layout.file("module_traits"))
    if members is None or traits is None:
        return None
    members = members[members["module"] != UNASSIGNED_MODULE]
    response = traits[traits["trait"] == "response"].set_index("module")
    rows = [(module, len(genes), ", ".join(genes.nsmallest(n_hubs, "module_rank")["symbol"].astype(str)),
             response["r"].get(module, np.nan), response["p"].get(module, np.nan))
            for module, genes in members.groupby("module")]
    if not rows:
        return None
    table = pd.DataFrame(rows, columns=["module", "genes", "hubs", "r_response", "p_response"])
    return table.sort_values("p_response", na_position="last").reset_index(drop=True)


def _sample_qc(layout: Layout, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per sample: patient, visit, arm, group, library size, detected genes, correlation, outlier flag."""
    table = samples[["sample", "patient", "timepoint", "arm", "group"]].merge(
        read_optional(layout.file("library_stats")), on="sample").merge(
        read_optional(layout.file("outliers")), on="sample")
    return table.assign(group=table["group"].astype(str).replace("nan", NOT_GROUPED))


def dominated_samples(stats: pd.DataFrame | None) -> pd.DataFrame | None:
    """Samples flagged ``dominated`` in the library statistics: sample, top gene (symbol and id), its share."""
    if stats is None or "dominated" not in stats:
        return None
    flagged = stats[stats["dominated"].astype(bool)]
    return pd.DataFrame({"sample": flagged["sample"], "top gene": flagged["top_symbol"],
                         "gene id": flagged["top_gene"],
                         "share of library": [f"{share:.0%}" for share in flagged["top_gene_share"]]})


def gene_id_warning(summary: pd.DataFrame | None, *, min_annotated_share: float) -> str | None:
    """The warning shown beside enrichment and networks when few gene ids matched the annotation, else None."""
    if summary is None or summary.empty:
        return None
    share = float(summary["matched_share"].iat[0])
    if share >= min_annotated_share:
        return None
    text = annotation_warning(share)
    return text[0].upper() + text[1:]


def _hazard_display(table: pd.DataFrame | None, *, columns: Sequence[str]) -> pd.DataFrame | None:
    """A survival or hub-score table for the page: a hazard ratio that is not estimable reads so, without numbers."""
    if table is None:
        return None
    shown = table.astype({column: object for column in columns})
    unusable = not_estimable(table)
    shown.loc[unusable, columns[0]] = "not estimable"
    shown.loc[unusable, list(columns[1:])] = ""
    return shown.drop(columns=["estimable"], errors="ignore")


def not_estimated(plan: pd.DataFrame | None, survival: pd.DataFrame | None,
                  hub_score: pd.DataFrame | None = None) -> dict[str, Any]:
    """What the cohort could not support: skipped contrasts (scope, contrast, reason), the patients dropped from
    paired contrasts, and hazard ratios (survival, hub score) that are not estimable."""
    skipped = plan.loc[plan["status"] == "skipped", ["scope", "contrast", "description"]].rename(
        columns={"description": "reason"}) if plan is not None else None
    dropped = plan.loc[plan["status"] == "note", ["scope", "description"]] if plan is not None else None
    hazards = []
    if survival is not None:
        for row in survival[not_estimable(survival)].itertuples():
            hazards.append(f"{row.endpoint} hazard ratio of {row.group} (by {row.comparison}): {row.note}")
    if hub_score is not None:
        for row in hub_score[not_estimable(hub_score)].itertuples():
            hazards.append(f"{row.endpoint} hazard ratio per SD of the hub score: {row.note}")
    return {"skipped": html_table(skipped, table_id="skipped") if skipped is not None and len(skipped) else None,
            "n_skipped": 0 if skipped is None else len(skipped),
            "dropped": [f"{'whole cohort' if r.scope == 'all' else r.scope}: {r.description}"
                        for r in dropped.itertuples()] if dropped is not None else [],
            "hazards": hazards}


def study_design(arms: Sequence[str]) -> str:
    """The design in words from the data: "randomised" needs two or more arms."""
    return f"single-arm study ({arms[0]})" if len(arms) == 1 else f"randomised, {len(arms)} arms: {', '.join(arms)}"


def _key_terms(layout: Layout, key: str, params: ReportParams) -> pd.DataFrame | None:
    """The key contrast's significant ORA terms of every library and direction, with library and direction."""
    paths = [path for path in layout.files("ora_table", {"library": list(params.libraries),
                                                         "direction": list(DIRECTIONS)}, path=key)
             if Path(path).exists()]
    tables = [table[table["padj"] < params.term_alpha].assign(library=library, direction=direction)
              for (library, direction), table in read_ora_tables(paths, layout=layout).items()]
    return pd.concat(tables) if tables else None


def stagewise_counts(layout: Layout, names: Sequence[str], *, alpha: float) -> pd.DataFrame | None:
    """Per interaction contrast with ``padj_stagewise``: genes with padj < alpha, and those confirmed stage-wise."""
    rows = []
    for name in names:
        table = read_optional(layout.file("de_table", path=name))
        if table is not None and "padj_stagewise" in table:
            rows.append({"contrast": name, "padj < alpha": int((table["padj"] < alpha).sum()),
                         "padj_stagewise < alpha": int((table["padj_stagewise"] < alpha).sum())})
    return pd.DataFrame(rows) if rows else None


def robustness(layout: Layout, *, alpha: float, contrasts: Sequence[str], made: Sequence[str],
               key: str | None) -> dict[str, Any]:
    """The robustness section: route agreement, composition and its change, the adjusted refit, hubs under each,
    and the stage-wise confirmation of the interaction contrasts (each None when the run did not make it).

    ``made`` lists the robustness files of this run, as paths of ``layout``; ``key`` is the key contrast, whose
    genes are shown before and after the composition adjustment side by side.
    """
    def this_run(name: str) -> str | None:
        path = layout.file(name)
        return path if path in set(map(str, made)) else None

    def table_of(name: str) -> pd.DataFrame | None:
        path = this_run(name)
        return read_optional(path) if path else None

    change = table_of("composition_change")
    if change is not None and "padj" in change:
        moved = change[change["padj"] < alpha]
        change = moved[["cell_type", "term", "estimate", "se", "padj", "n_patients"]] if len(moved) else None
    sensitivity = table_of("composition_sensitivity")
    key_genes = None
    if sensitivity is not None:
        tops = sensitivity[sensitivity["role"].str.contains("top")]
        if key is not None and (sensitivity["contrast"] == key).any():
            key_genes = sensitivity.loc[sensitivity["contrast"] == key,
                                        ["symbol", "role", "log2FoldChange", "padj", "log2FoldChange_adjusted",
                                         "padj_adjusted", "status"]]
        sensitivity = pd.crosstab(tops["contrast"], tops["status"]).reset_index() if len(tops) else None
    interactions = [name for name in contrasts if parse_contrast(name)[0] == "interaction"]
    scores = table_of("composition")
    fragile = (sorted(scores.loc[scores["n_markers"] < MIN_MARKERS, "cell_type"].unique()) if scores is not None
               else [])
    figures = {name: image(path) if (path := this_run(name)) else None
               for name in ("route_agreement_figure", "composition_figure")}
    return {"fragile_cell_types": fragile, "min_markers": MIN_MARKERS,
            "agreement": html_table(table_of("route_agreement"), table_id="route-agreement"),
            "agreement_figure": figures["route_agreement_figure"],
            "composition_figure": figures["composition_figure"],
            "composition_change": html_table(change, table_id="composition-change"),
            "sensitivity": html_table(sensitivity, table_id="composition-sensitivity"),
            "key": key, "key_genes": html_table(key_genes, table_id="composition-key-genes", limit=50),
            "hubs": html_table(table_of("hub_robustness"), table_id="hub-robustness"),
            "stagewise": html_table(stagewise_counts(layout, interactions, alpha=alpha), table_id="stagewise")}


def build_context(*, layout: Layout, params: ReportParams, clinical_sheet: str | Path, settings: Mapping[str, Any],
                  input_files: Mapping[str, str | Path], workdir: str | Path) -> dict[str, Any]:
    """Everything the template shows, read from the results folder of ``layout``.

    ``params`` are the settings the page computes with; ``settings`` (the run's validated config) are shown in
    the methods and hashed for provenance; ``input_files`` are the user inputs whose checksums are shown.
    """
    workdir = Path(workdir)
    from trialrna.cohort import read_count_table, read_sample_metadata

    samples = read_sample_metadata(layout.file("sample_metadata"))
    visits = list(samples["timepoint"].cat.categories)
    alpha, lfc_threshold = params.alpha, params.lfc_threshold
    summary = read_optional(layout.file("de_summary"))
    plan = read_optional(layout.file("de_contrasts"))
    key = _key_contrast(summary, visits)
    rates = read_optional(layout.file("response_rates"))
    differences = read_optional(layout.file("response_rate_differences"))
    survival = read_optional(layout.file("survival"))

    trajectory_figure, trajectory_genes = None, []
    key_table = read_optional(layout.file("de_table", path=key)) if key else None
    # Only the network this run built for the key contrast (never a file left by an earlier run's settings).
    built = key is not None and any(fnmatch(key, pattern) for pattern in params.network_contrasts)
    hubs = read_optional(layout.file("network_file", path=key, kind="hubs.tsv")) if built else None
    unconnected = read_optional(layout.file("network_file", path=key, kind="unconnected.tsv")) if built else None
    why_no_hubs = network_note(key=key, patterns=params.network_contrasts, hubs=hubs, unconnected=unconnected)
    hubs = hubs if hubs is not None and not hubs.empty else None
    if key:
        ranked = hubs if hubs is not None else _significant(key_table, alpha=alpha, lfc_threshold=lfc_threshold)
        trajectory_genes = ranked["gene_id"].head(6).tolist()
    if trajectory_genes:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "trajectories.png"
            plot_trajectories(read_count_table(layout.file("counts")), samples, read_optional(layout.file("genes")),
                              trajectory_genes, path,
                              title=f"Top {'hub' if hubs is not None else 'DE'} genes of {key}, per patient")
            trajectory_figure = image(path)

    contrast_tables = []
    for contrast in ([key] if key else []) + [c for c in ("response_" + visits[0],) if summary is not None and c in
                                              set(summary["contrast"]) and c != key]:
        table = key_table if contrast == key else read_optional(layout.file("de_table", path=contrast))
        columns = ["symbol", "gene_id", "baseMean", "log2FoldChange", "padj"]
        volcano = layout.file("de_figure", path=contrast, kind=DE_FIGURE_KINDS[1])
        contrast_tables.append({"name": contrast, "volcano": image(volcano), "table": html_table(
            _significant(table, alpha=alpha, lfc_threshold=lfc_threshold)[columns], table_id=f"de-{contrast}",
            limit=200)})
    term_columns = ["library", "direction", "term", "id", "size", "overlap", "padj"]
    key_terms = _key_terms(layout, key, params) if key else None
    terms = key_terms.groupby(["library", "direction"], sort=False).head(10)[term_columns].sort_values(
        ["padj", "library", "direction", "term"]) if key_terms is not None and len(key_terms) else None

    hub_columns = ["symbol", "consensus_rank", "stability", "log2FoldChange", "padj", "module", "top_terms",
                   "Degree", "MCC", "Betweenness"]
    modules = module_summary(layout)
    notes = read_optional(layout.file("coexpression_notes"))
    module_notes = [note[0].upper() + note[1:] for note in notes["note"]] if notes is not None else []
    response_note = next((note.split(": ", 1)[1] for note in (notes["note"] if notes is not None else [])
                          if note.startswith("response cannot")), None)
    n_analysed = samples.loc[samples["group"].notna(), "patient"].nunique()
    clinical = read_table(clinical_sheet)
    annotation_warning_text = gene_id_warning(read_optional(layout.file("gene_id_summary")),
                                              min_annotated_share=params.min_annotated_share)
    arms = sorted(clinical["arm"].astype(str).unique())
    hazard_columns = ["hr", "hr_ci_low", "hr_ci_high"]
    hub_score = read_optional(layout.file("hub_score_endpoints")) if built else None
    hubs_shown = hubs[hub_columns] if hubs is not None else None
    return {
        "title": "Transcriptomic mechanisms of resistance",
        "design": {"arms": arms, "single_arm": len(arms) == 1, "study": study_design(arms), "visits": visits,
                   "rule": response_rule_words(params.response_rule),
                   "patients": clinical["patient"].nunique(), "samples": len(samples),
                   "groups": samples.drop_duplicates("patient")["group"].astype(str).replace(
                       "nan", NOT_GROUPED).value_counts().to_dict()},
        "flow": {"figure": image(layout.file("sample_flow_figure")),
                 "table": html_table(read_optional(layout.file("sample_flow")), table_id="flow")},
        "clinical": {"rates": html_table(rates, table_id="rates"),
                     "differences": html_table(differences, table_id="differences"),
                     "survival": html_table(_hazard_display(survival, columns=hazard_columns), table_id="survival"),
                     "km": [image(layout.file("kaplan_meier_figure", endpoint=e)) for e in ("pfs", "os")],
                     "safety": html_table(read_optional(layout.file("safety_summary")), table_id="safety"),
                     "qol": image(layout.file("qlq_c30_figure")),
                     "biomarkers": html_table(read_optional(layout.file("biomarkers")), table_id="biomarkers")},
        "qc": {"pca": image(layout.file("pca_figure")),
               "dominated": html_table(dominated_samples(read_optional(layout.file("library_stats"))),
                                       table_id="dominated"),
               "max_gene_share": params.max_gene_share,
               "outliers": html_table(read_optional(layout.file("outliers")).query("outlier"), table_id="outliers"),
               "samples": html_table(_sample_qc(layout, samples), table_id="samples-qc")},
        "de": {"summary": html_table(summary, table_id="de-summary"), "key": key, "contrasts": contrast_tables,
               "trajectories": trajectory_figure, "plan": html_table(plan, table_id="plan")},
        "not_estimated": not_estimated(plan, survival, hub_score),
        "network": {"key": key, "annotation_warning": annotation_warning_text,
                    "hubs": html_table(hubs_shown, table_id="hubs", limit=30), "note": why_no_hubs,
                    "figure": image(layout.file("network_file", path=key, kind="network.png")) if built else None,
                    "unconnected": html_table(unconnected, table_id="unconnected"),
                    "hub_score": html_table(_hazard_display(hub_score, columns=["estimate", "ci_low", "ci_high", "p"]),
                                            table_id="hub-score"),
                    "modules": html_table(modules, table_id="modules"), "module_notes": module_notes,
                    "module_traits": image(layout.file("module_traits_figure"))},
        "enrichment": {"heatmap": image(layout.file("enrichment_heatmap_figure")),
                       "annotation_warning": annotation_warning_text,
                       "terms": html_table(terms, table_id="terms"), "key": key},
        "robustness": robustness(layout, alpha=alpha, made=params.robustness_files, key=key,
                                 contrasts=list(summary["contrast"]) if summary is not None else []),
        "findings": findings(key_table=key_table, summary=summary, key=key, alpha=alpha, lfc_threshold=lfc_threshold,
                             rates=rates, differences=differences, survival=survival, terms=key_terms,
                             n_patients=clinical["patient"].nunique(), n_samples=len(samples),
                             n_analysed=n_analysed, visits=visits, plan=plan,
                             min_genes=params.min_genes_for_finding, hubs=hubs, network_note=why_no_hubs,
                             modules=modules, module_note=response_note, n_top=params.top_hubs),
        "methods": {"versions": software_versions(), "config": settings, "alpha": alpha,
                    "gene_sets": html_table(read_optional(layout.file("gene_sets")), table_id="gene-sets"),
                    "formulas": html_table(plan, table_id="formulas")},
        "provenance": {"config_hash": config_hash(settings),
                       "inputs": [(name, str(path), sha256sum(workdir / path)) for name, path in input_files.items()
                                  if path and (workdir / path).exists()],
                       "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")},
    }


def render_report(context: Mapping[str, Any], path: str | Path) -> None:
    """Render the page with autoescaping (every user-supplied string is escaped)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    Path(path).write_text(environment.get_template("index.html.j2").render(**context))
