"""A seeded demo cohort shaped like the trial: clinical sheet, sample sheet, raw counts and the planted truth.

The cohort is a phase II trial of eribulin + bevacizumab vs eribulin (1:1) with blood RNA-seq at three visits.
Planted biology: non-responders on bevacizumab raise alternative pro-angiogenic, hypoxia (HIF1A target) and
myeloid/neutrophil inflammation genes over treatment (weaker on eribulin alone), and responders carry a higher
interferon signature at every visit. On top of that, the blood's cell composition shifts: the neutrophil share rises
on treatment in every patient, whatever the response, which raises the neutrophil marker genes of the pinned TIL10
reference and a few other neutrophil genes that follow nothing else (the composition followers).
:func:`simulate_counts` returns the truth table so tests can check recovery.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trialrna.tables import write_table

log = logging.getLogger(__name__)

ARMS = ("eribulin_bevacizumab", "eribulin")
TIMEPOINTS = ("baseline", "on_treatment", "end_of_treatment")

#: Best overall response probabilities (CR, PR, SD, PD, NE) per arm; bevacizumab adds responses, as in trials
#: of taxane or eribulin with bevacizumab in HER2-negative advanced breast cancer.
RESPONSE_PROBABILITIES = {
    "eribulin_bevacizumab": (0.05, 0.35, 0.30, 0.22, 0.08),
    "eribulin": (0.02, 0.24, 0.34, 0.32, 0.08),
}
RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")
#: Median PFS in months by best response; bevacizumab multiplies the hazard by 0.75.
PFS_MEDIAN_MONTHS = {"CR": 16.0, "PR": 10.0, "SD": 6.5, "PD": 2.3, "NE": 1.8}
BEVACIZUMAB_PFS_HAZARD_RATIO = 0.75
POST_PROGRESSION_MEDIAN_MONTHS = 11.0


@dataclass(frozen=True)
class PlantedProgram:
    """A gene programme planted in the demo counts, and where the workflow should find it."""

    name: str
    genes: tuple[str, ...]
    #: Expected contrasts and directions (log2FC sign per DESIGN.md: first named group higher = up).
    contrasts: tuple[tuple[str, str], ...]
    pathways: str
    #: Upstream signals of the programme (cytokines that recruit and activate its other genes): the hubs the
    #: network stage should find.
    drivers: tuple[str, ...] = ()
    #: ``resistance`` (changes over treatment in non-responders), ``response`` (differs between the groups at
    #: every visit) or ``composition`` (follows the neutrophil share, the same in both groups).
    kind: str = "resistance"


_RESISTANCE_CONTRASTS = (
    ("time_end_of_treatment_non_responders", "up"),
    ("time_on_treatment_non_responders", "up"),
    ("interaction_end_of_treatment", "down"),  # responders' change minus non-responders' change
)

_COMPOSITION_CONTRASTS = tuple(
    (f"time_{visit}_{group}", "up") for visit in ("on_treatment", "end_of_treatment")
    for group in ("responders", "non_responders"))

PLANTED_PROGRAMS: tuple[PlantedProgram, ...] = (
    PlantedProgram(
        "alternative_angiogenesis",
        ("FGF2", "ANGPT2", "PGF", "PROK2", "PDGFC", "VEGFC", "HGF", "CXCL8", "CXCL1", "CXCL5", "ESM1", "THBS1",
         "MMP9", "APLN", "PDGFB", "SPHK1", "ANGPTL4", "EDN1", "NRP1", "VEGFA", "ADM", "HIF1A"),
        _RESISTANCE_CONTRASTS,
        "GO:0001525 angiogenesis; GO:0045766 positive regulation of angiogenesis; KEGG VEGF signaling pathway",
        drivers=("CXCL8",),
    ),
    PlantedProgram(
        "myeloid_inflammation",
        ("IL6", "IL1B", "TNF", "CXCL2", "S100A8", "S100A9", "S100A12", "FCGR3B", "CXCR2", "CXCR1", "CSF3R",
         "LCN2", "CEACAM8", "ELANE", "MPO", "ARG1", "OLFM4", "LTF", "CAMP", "MMP8", "CSF3", "CCL2", "PTGS2",
         "OSM", "TREM1", "FPR1", "FPR2", "C5AR1"),
        _RESISTANCE_CONTRASTS,
        "GO:0030593 neutrophil chemotaxis; GO:0006954 inflammatory response; KEGG IL-17 signaling pathway",
        drivers=("IL6", "IL1B", "TNF"),
    ),
    PlantedProgram(
        "hypoxia_hif1a_targets",
        ("SLC2A1", "PGK1", "LDHA", "CA9", "BNIP3", "EGLN3", "NDRG1", "ENO1", "ALDOA", "PDK1", "P4HA1",
         "ANKRD37"),
        _RESISTANCE_CONTRASTS,
        "GO:0001666 response to hypoxia; KEGG HIF-1 signaling pathway",
    ),
    PlantedProgram(
        "baseline_interferon",
        ("ISG15", "IFI44L", "IFI44", "MX1", "RSAD2", "OAS1", "OAS2", "OAS3", "IFIT1", "IFIT3", "IFI27", "HERC5",
         "CXCL10", "STAT1", "IRF7"),
        (("response_baseline", "up"), ("response_on_treatment", "up"), ("response_end_of_treatment", "up")),
        "GO:0060337 type I interferon-mediated signaling pathway; KEGG Influenza A",
        kind="response",
    ),
    # The neutrophil share rises on treatment in both groups: every time contrast goes up, the interaction does not
    # move. The markers are TIL10's neutrophil genes (>= 3-fold above every other cell type, quanTIseq's RNA-seq
    # noisy genes included; tests/test_composition.py checks the list against resources/cell_types) except FPR2,
    # which is planted in myeloid_inflammation and stays there (one programme per gene).
    PlantedProgram(
        "neutrophil_share_markers",
        ("ADGRG3", "BTNL8", "C5AR2", "CEACAM1", "CEP19", "CYP4F3", "DAPK2", "DGAT2", "DPEP3", "DYSF", "HAL",
         "KCNJ15", "LRRC4", "LRRK2", "MGAM", "MME", "PPP1R3B", "REPS2", "TECPR2", "TMCC3", "TMEM154"),
        _COMPOSITION_CONTRASTS,
        "TIL10 neutrophil markers (quanTIseq); blood cell composition, not regulation",
        kind="composition",
    ),
    # Neutrophil genes outside TIL10 that only follow the neutrophil share: DE over time, explained away once the
    # design adjusts for the neutrophil score (trialrna.composition.composition_sensitivity).
    PlantedProgram(
        "neutrophil_share_followers",
        ("ALPL", "AQP9", "CMTM2", "MNDA", "PADI4", "STEAP4", "VNN2", "TNFRSF10C"),
        _COMPOSITION_CONTRASTS,
        "neutrophil-expressed genes; blood cell composition, not regulation",
        kind="composition",
    ),
)
#: Neutrophil share over visits, log2 fold from baseline: 0.8 at the first later visit, 1.0 at the last (as a
#: function of the visit's position), plus a patient effect and a larger draw-to-draw effect (blood counts vary
#: between draws), so the share is not a function of the visit alone and a design can adjust for it.
NEUTROPHIL_LOG2_RISE = (0.6, 0.4)  # intercept and slope on the visit's position (0 at baseline, 1 at the last)
NEUTROPHIL_PATIENT_SD, NEUTROPHIL_DRAW_SD = 0.3, 0.5


def planted_symbols() -> list[str]:
    """All planted gene symbols, in programme order."""
    return [gene for program in PLANTED_PROGRAMS for gene in program.genes]


def program_names(kind: str) -> list[str]:
    """Names of the planted programmes of one kind (``resistance``, ``response`` or ``composition``)."""
    return [program.name for program in PLANTED_PROGRAMS if program.kind == kind]


def composition_symbols() -> list[str]:
    """The genes of the composition programmes (neutrophil markers and followers)."""
    return [gene for program in PLANTED_PROGRAMS if program.kind == "composition" for gene in program.genes]


def demo_genes(annotation: pd.DataFrame, *, n_genes: int, seed: int) -> pd.DataFrame:
    """Pick ``n_genes`` real human genes: the planted ones, then protein-coding, then ncRNA.

    Each gene gets one Ensembl id that maps back to its symbol, so the demo exercises Ensembl-to-symbol mapping
    without ambiguity. Returns ``gene_id``, ``symbol``, ``gene_type`` sorted by gene id, except that the composition
    genes not drawn anyway take the rows of randomly chosen background genes: every other gene keeps its row, and
    so its simulated counts, whether or not the composition programmes are planted.
    """
    # An Ensembl id shared by several Entrez genes maps to the lowest Entrez id (as trialrna.io.map_symbols does).
    primary = annotation[annotation["gene_id"] != ""].sort_values("entrez_id").drop_duplicates("gene_id")
    one_per_gene = primary.sort_values("gene_id").drop_duplicates("entrez_id")
    one_per_gene = one_per_gene[~one_per_gene["symbol"].duplicated(keep=False)]
    planted = one_per_gene[one_per_gene["symbol"].isin(planted_symbols())]
    missing = sorted(set(planted_symbols()) - set(planted["symbol"]))
    if missing:
        raise ValueError(f"planted genes without an unambiguous Ensembl id in the annotation: {missing}")
    composition = planted[planted["symbol"].isin(composition_symbols())]
    planted = planted[~planted.index.isin(composition.index)]
    rng = np.random.default_rng(seed)
    chosen = [planted]
    for gene_type in ("protein-coding", "ncRNA"):
        room = n_genes - sum(map(len, chosen))
        pool = one_per_gene[(one_per_gene["gene_type"] == gene_type) & ~one_per_gene.index.isin(planted.index)]
        if room > 0:
            chosen.append(pool.iloc[np.sort(rng.choice(len(pool), size=min(room, len(pool)), replace=False))])
    genes = pd.concat(chosen)
    if len(genes) < n_genes:
        raise ValueError(f"the annotation offers only {len(genes)} unambiguous genes; asked for {n_genes}")
    genes = genes.sort_values("gene_id")[["gene_id", "symbol", "gene_type"]].reset_index(drop=True)
    absent = composition[~composition["symbol"].isin(genes["symbol"])][["gene_id", "symbol", "gene_type"]]
    background = np.flatnonzero(~genes["symbol"].isin([*planted["symbol"], *composition["symbol"]]))
    if len(background) < len(absent):
        # The smallest demos (the schema allows 100 genes) keep n_genes and plant the composition genes that fit.
        log.warning("demo: %d genes leave room for %d of the %d composition genes", n_genes, len(background),
                    len(absent))
        absent = absent.iloc[: len(background)]
    rows = np.sort(np.random.default_rng([seed, 2]).choice(background, size=len(absent), replace=False))
    genes.iloc[rows] = absent.to_numpy()
    return genes


def simulate_clinical(*, n_patients: int = 60, seed: int, arms: Sequence[str] = ARMS,
                      timepoints: Sequence[str] = TIMEPOINTS,
                      missed_visit_rate: float = 0.06) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the clinical sheet and sample sheet of a randomised trial with blood draws at each visit.

    Returns
    -------
    samples
        ``sample, patient, timepoint``. Not-evaluable (NE) patients leave after baseline; other patients miss
        each later visit with probability ``missed_visit_rate``.
    clinical
        ``patient, arm, best_response, age, ecog, pfs_months, pfs_event, os_months, os_event``, with
        staggered enrolment over 18 months, a data cut-off at 30 months and 8 % early loss to follow-up.
    """
    rng = np.random.default_rng(seed)
    patients = [f"P{index + 1:03d}" for index in range(n_patients)]
    # Permuted-block style 1:1 allocation.
    arm = rng.permutation(np.resize(np.asarray(arms), n_patients))
    best = np.array([rng.choice(RESPONSE_CODES, p=RESPONSE_PROBABILITIES.get(a, RESPONSE_PROBABILITIES[ARMS[1]]))
                     for a in arm])
    hazard_ratio = np.where(arm == ARMS[0], BEVACIZUMAB_PFS_HAZARD_RATIO, 1.0)
    pfs_median = np.array([PFS_MEDIAN_MONTHS[code] for code in best]) / hazard_ratio
    pfs = rng.exponential(pfs_median / np.log(2))
    os_time = pfs + rng.exponential(POST_PROGRESSION_MEDIAN_MONTHS / np.log(2), n_patients)
    follow_up = 30.0 - rng.uniform(0, 18, n_patients)
    lost = rng.random(n_patients) < 0.08
    follow_up = np.where(lost, rng.uniform(0.5, 1.0, n_patients) * follow_up, follow_up)
    clinical = pd.DataFrame({
        "patient": patients,
        "arm": arm,
        "best_response": best,
        "age": rng.normal(56, 11, n_patients).clip(28, 84).round().astype(int),
        "ecog": rng.choice([0, 1], size=n_patients, p=[0.6, 0.4]),
        "pfs_months": np.minimum(pfs, follow_up).round(1).clip(0.1),
        "pfs_event": (pfs <= follow_up).astype(int),
        "os_months": np.minimum(os_time, follow_up).round(1).clip(0.1),
        "os_event": (os_time <= follow_up).astype(int),
    })
    rows = []
    for patient, code in zip(patients, best, strict=True):
        for index, visit in enumerate(timepoints):
            if index > 0 and (code == "NE" or rng.random() < missed_visit_rate):
                continue
            rows.append((f"{patient}_{visit}", patient, visit))
    samples = pd.DataFrame(rows, columns=["sample", "patient", "timepoint"])
    return samples, clinical


def simulate_counts(samples: pd.DataFrame, clinical: pd.DataFrame, *, genes: pd.DataFrame, seed: int,
                    timepoints: Sequence[str] = TIMEPOINTS, planted_log2fc: tuple[float, float] = (1.0, 2.0),
                    dispersion_scatter: float = 0.45) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate negative-binomial raw counts with patient effects, visit effects and the planted programmes.

    Parameters
    ----------
    samples, clinical
        Sheets as from :func:`simulate_clinical` (or any sheets of the same columns).
    genes
        ``gene_id``, ``symbol`` of the genes to simulate (:func:`demo_genes`).
    seed
        Seed of the random generator; the same inputs and seed give identical counts.
    timepoints
        Visits in order, baseline first.
    planted_log2fc
        Range of the planted end-of-treatment log2 fold change in non-responders on bevacizumab.
    dispersion_scatter
        SD of the gene-wise log-dispersion around the mean-dispersion trend.

    Returns
    -------
    counts
        Integer counts, genes (index ``gene_id``) x samples.
    truth
        ``gene_id, symbol, program, contrast, direction, planted_log2fc, pathways, driver``: one row per planted
        gene and expected contrast. For the composition programmes ``planted_log2fc`` is the mean rise at the last
        visit.
    """
    rng = np.random.default_rng(seed)
    n_genes, n_samples = len(genes), len(samples)
    meta = samples.merge(clinical, on="patient", how="left", validate="many_to_one")
    visit = meta["timepoint"].map({name: index for index, name in enumerate(timepoints)}).to_numpy()
    responder = meta["best_response"].isin(["CR", "PR"]).to_numpy()
    non_responder = meta["best_response"].isin(["SD", "PD"]).to_numpy()
    on_bevacizumab = (meta["arm"] == ARMS[0]).to_numpy()

    # Blood RNA-seq: a long-tailed expression distribution (many barely detected genes) and a DESeq2-like
    # mean-dispersion trend (asymptotic dispersion plus extra-Poisson noise) with gene-wise scatter.
    log_abundance = rng.normal(3.5, 2.1, n_genes)
    silent = rng.random(n_genes) < 0.25  # tissue-restricted genes that blood barely transcribes
    log_abundance = np.where(silent, rng.normal(-2.5, 1.0, n_genes), log_abundance).clip(-6, 13)
    proportion = np.exp(log_abundance) / np.exp(log_abundance).sum()
    library_size = rng.lognormal(np.log(22e6), 0.3, n_samples)
    typical_mean = proportion * 22e6
    dispersion = (0.06 + 1.2 / np.maximum(typical_mean, 0.5)) * rng.lognormal(0, dispersion_scatter, n_genes)

    log_fold = np.zeros((n_genes, n_samples))
    patient_codes, patient_index = np.unique(meta["patient"], return_inverse=True)
    patient_sd = 0.3 * rng.lognormal(0, 0.4, n_genes)
    patient_effect = (rng.normal(0, 1, (n_genes, len(patient_codes))) * patient_sd[:, None])[:, patient_index]
    log_fold += patient_effect
    # Treatment changes every patient's blood (e.g. eribulin's myelosuppression), regardless of response.
    shared = rng.random(n_genes) < 0.05
    shared_effect = np.where(shared, rng.normal(0, 0.7, n_genes), 0.0) * np.log(2)
    visit_weight = np.asarray(visit, dtype=float) / max(len(timepoints) - 1, 1)
    log_fold += shared_effect[:, None] * visit_weight[None, :]

    symbol_row = {symbol: row for row, symbol in enumerate(genes["symbol"])}
    truth_rows = []
    for program in PLANTED_PROGRAMS:
        if program.kind == "composition":
            continue
        rows = [symbol_row[gene] for gene in program.genes if gene in symbol_row]
        effect = rng.uniform(*planted_log2fc, len(rows))
        if program.name == "baseline_interferon":
            weight = responder.astype(float) * 0.6
        else:
            # Full effect in non-responders on bevacizumab, a quarter on eribulin alone; none in responders.
            weight = non_responder * np.where(on_bevacizumab, 1.0, 0.25) * visit_weight
        log_fold[rows] += np.log(2) * effect[:, None] * weight[None, :]
        for row, size in zip(rows, effect, strict=True):
            for contrast, direction in program.contrasts:
                truth_rows.append((genes["gene_id"].iat[row], genes["symbol"].iat[row], program.name, contrast,
                                   direction, round(float(size), 3), program.pathways,
                                   genes["symbol"].iat[row] in program.drivers))

    mean = proportion[:, None] * library_size[None, :] * np.exp(log_fold)
    # numpy's negative binomial takes (n, p): n = 1/dispersion, p = n / (n + mean).
    size = 1.0 / dispersion[:, None]
    counts = rng.negative_binomial(size, size / (size + mean))

    # The composition genes are simulated last, from their own random stream, and written over their rows: planting
    # them leaves every other gene's counts exactly as they were (tests/test_composition.py checks it).
    composition_rng = np.random.default_rng([seed, 2])
    composition = [program for program in PLANTED_PROGRAMS if program.kind == "composition"]
    rows = [symbol_row[gene] for program in composition for gene in program.genes if gene in symbol_row]
    # Neutrophil genes are well expressed in whole blood (none barely detected), vary between patients like any gene,
    # and change over visits only with the neutrophil share: no shared treatment effect, no response effect.
    abundance = np.exp(composition_rng.normal(5.0, 1.0, len(rows))) / np.exp(log_abundance).sum()
    scatter = composition_rng.lognormal(0, dispersion_scatter, len(rows))
    composition_dispersion = (0.06 + 1.2 / np.maximum(abundance * 22e6, 0.5)) * scatter
    # A share change scales every gene that only neutrophils express alike: one log2 factor per sample.
    later = (np.asarray(visit) > 0).astype(float)
    neutrophil = later * (NEUTROPHIL_LOG2_RISE[0] + NEUTROPHIL_LOG2_RISE[1] * visit_weight)
    neutrophil = neutrophil + composition_rng.normal(0, NEUTROPHIL_PATIENT_SD, len(patient_codes))[patient_index]
    neutrophil = neutrophil + composition_rng.normal(0, NEUTROPHIL_DRAW_SD, n_samples)
    composition_mean = abundance[:, None] * library_size[None, :] * np.exp(
        patient_effect[rows] + np.log(2) * neutrophil[None, :])
    size = 1.0 / composition_dispersion[:, None]
    counts[rows] = composition_rng.negative_binomial(size, size / (size + composition_mean))
    for program in composition:
        for gene in program.genes:
            if gene in symbol_row:
                for contrast, direction in program.contrasts:
                    truth_rows.append((genes["gene_id"].iat[symbol_row[gene]], gene, program.name, contrast,
                                       direction, sum(NEUTROPHIL_LOG2_RISE), program.pathways, False))
    count_table = pd.DataFrame(counts, index=pd.Index(genes["gene_id"], name="gene_id"), columns=samples["sample"])
    truth = pd.DataFrame(truth_rows, columns=["gene_id", "symbol", "program", "contrast", "direction",
                                              "planted_log2fc", "pathways", "driver"])
    return count_table, truth


def write_cohort(directory: str | Path, *, annotation: pd.DataFrame, n_patients: int, n_genes: int, seed: int,
                 timepoints: Sequence[str] = TIMEPOINTS) -> dict[str, Path]:
    """Simulate a whole cohort and write ``samples.tsv``, ``clinical.tsv``, ``counts.tsv`` and ``truth.tsv``.

    Used by the tests and benchmarks to make cohorts of any size with the demo's generator.
    Returns the written paths by name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    samples, clinical = simulate_clinical(n_patients=n_patients, seed=seed, timepoints=timepoints)
    genes = demo_genes(annotation, n_genes=n_genes, seed=seed)
    counts, truth = simulate_counts(samples, clinical, genes=genes, seed=seed, timepoints=timepoints)
    paths = {name: directory / f"{name}.tsv" for name in ("samples", "clinical", "counts", "truth")}
    for name, table in (("samples", samples), ("clinical", clinical), ("truth", truth)):
        write_table(table, paths[name])
    write_table(counts, paths["counts"], index=True)
    return paths


#: CTCAE terms typical of eribulin (neutropenia, neuropathy, fatigue) and bevacizumab (hypertension, proteinuria,
#: bleeding), with per-patient probabilities of any grade by arm.
ADVERSE_EVENT_RATES = {
    "Neutrophil count decreased": (0.55, 0.52), "Fatigue": (0.45, 0.40), "Peripheral sensory neuropathy": (0.35, 0.33),
    "Alopecia": (0.40, 0.42), "Nausea": (0.30, 0.28), "Hypertension": (0.35, 0.06), "Proteinuria": (0.20, 0.02),
    "Epistaxis": (0.22, 0.03), "Anemia": (0.25, 0.24), "Diarrhea": (0.15, 0.12), "Headache": (0.18, 0.10),
}
#: EORTC QLQ-C30 items 1-28 are 1-4 (not at all ... very much), 29-30 are 1-7 (very poor ... excellent).
QLQ_ITEMS = [f"q{number}" for number in range(1, 31)]


def simulate_extra_clinical(clinical: pd.DataFrame, samples: pd.DataFrame, *, seed: int
                            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Adverse events, QLQ-C30 answers per visit and a mutation-signature biomarker for a simulated trial.

    Uses its own random stream (``seed + 1``) so the clinical and sample sheets stay as they are.

    Returns
    -------
    adverse_events
        ``patient, term, grade, related`` (one row per patient and term).
    qlq_c30
        ``patient, visit, q1 ... q30``; a few answers missing, as in real questionnaires.
    biomarkers
        ``patient, mutation_signature`` (``TP53+/FAT1+/NOTCH3-`` or ``other``), enriched among non-responders.
    """
    rng = np.random.default_rng(seed + 1)
    events = []
    for row in clinical.itertuples():
        on_bevacizumab = row.arm == ARMS[0]
        for term, rates in ADVERSE_EVENT_RATES.items():
            if rng.random() < rates[0 if on_bevacizumab else 1]:
                grade = int(rng.choice([1, 2, 3, 4], p=[0.45, 0.33, 0.18, 0.04]))
                events.append((row.patient, term, grade, int(rng.random() < 0.85)))
    adverse_events = pd.DataFrame(events, columns=["patient", "term", "grade", "related"])

    answers = []
    progression = dict(zip(clinical["patient"], clinical["best_response"].isin(["PD", "NE"]), strict=True))
    for row in samples.itertuples():
        # Symptoms worsen over visits in progressing patients; function and global health decline with them.
        burden = 0.3 + 0.35 * (row.timepoint != TIMEPOINTS[0]) * (1.5 if progression[row.patient] else 0.6)
        symptoms = np.clip(np.round(1 + rng.gamma(1.5, burden, 28)), 1, 4).astype(float)
        global_health = np.clip(np.round(rng.normal(5.2 - 1.6 * burden, 0.9, 2)), 1, 7).astype(float)
        values = np.concatenate([symptoms, global_health])
        values[rng.random(30) < 0.02] = np.nan
        answers.append([row.patient, row.timepoint, *values])
    qlq_c30 = pd.DataFrame(answers, columns=["patient", "visit", *QLQ_ITEMS])
    qlq_c30[QLQ_ITEMS] = qlq_c30[QLQ_ITEMS].astype("Int64")

    resistant = clinical["best_response"].isin(["SD", "PD"]).to_numpy()
    signature = rng.random(len(clinical)) < np.where(resistant, 0.35, 0.12)
    biomarkers = pd.DataFrame({"patient": clinical["patient"],
                               "mutation_signature": np.where(signature, "TP53+/FAT1+/NOTCH3-", "other")})
    return adverse_events, qlq_c30, biomarkers
