"""Write the demo cohort's sheets: samples, clinical (with a biomarker column), adverse events and QLQ-C30.

Run from the repository root: ``python resources/build/build_demo_sheets.py``. The counts are simulated by the
workflow itself (rule simulate_demo_counts) from these sheets; tests check the committed sheets equal this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from trialrna.demo import simulate_clinical, simulate_extra_clinical  # noqa: E402


def main() -> None:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    samples, clinical = simulate_clinical(n_patients=60, seed=config["seed"], timepoints=config["timepoints"])
    adverse_events, qlq_c30, biomarkers = simulate_extra_clinical(clinical, samples, seed=config["seed"])
    samples.to_csv(ROOT / config["samples"], sep="\t", index=False)
    clinical.merge(biomarkers, on="patient").to_csv(ROOT / config["clinical"]["sheet"], sep="\t", index=False)
    adverse_events.to_csv(ROOT / config["clinical"]["adverse_events"], sep="\t", index=False)
    qlq_c30.to_csv(ROOT / config["clinical"]["qlq_c30"], sep="\t", index=False)
    print(f"{len(samples)} samples, {len(clinical)} patients")


if __name__ == "__main__":
    main()
