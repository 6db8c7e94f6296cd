"""Stage-wise FDR (stageR's screen-then-confirm with the Holm confirmation), on an example worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialrna.stagewise import add_padj_stagewise, stagewise_adjust

GENES = ["g1", "g2", "g3", "g4", "g5", "g6"]
#: BH-adjusted screen: g1-g3 pass (< 0.05), g4-g5 do not, g6 was filtered out (not tested).
SCREEN = pd.Series([0.001, 0.01, 0.04, 0.2, 0.06, np.nan], index=GENES)
CONFIRMATION = pd.DataFrame({"H1": [0.001, 0.03, 0.2, 0.001, 0.5, 0.01],
                             "H2": [0.02, 0.004, 0.3, 0.5, 0.5, 0.01],
                             "H3": [0.5, 0.9, 0.01, 0.5, 0.5, 0.01]}, index=GENES)


def test_stagewise_adjustment_matches_the_example_worked_by_hand():
    # Holm knowing one hypothesis is false: sorted p times (2, 2, 1), running maximum, capped at 1; then times
    # tested genes / passed genes = 5 / 3 (g6 is not tested, so it is not counted).
    #   g1: 0.001 0.02 0.5 -> 0.002 0.04 0.5  -> x5/3: 0.00333 0.0667 0.833
    #   g2: sorted H2 0.004, H1 0.03, H3 0.9 -> 0.008 0.06 0.9 -> H1 0.1, H2 0.01333, H3 1 (capped)
    #   g3: sorted H3 0.01, H1 0.2, H2 0.3 -> 0.02 0.4 0.3 -> running max 0.02 0.4 0.4 -> H1 0.667 H2 0.667 H3 0.0333
    expected = pd.DataFrame({"H1": [0.002 * 5 / 3, 0.1, 0.4 * 5 / 3, np.nan, np.nan, np.nan],
                             "H2": [0.04 * 5 / 3, 0.008 * 5 / 3, 0.4 * 5 / 3, np.nan, np.nan, np.nan],
                             "H3": [0.5 * 5 / 3, 1.0, 0.02 * 5 / 3, np.nan, np.nan, np.nan]}, index=GENES)
    pd.testing.assert_frame_equal(stagewise_adjust(SCREEN, CONFIRMATION, alpha=0.05), expected, rtol=1e-12)
    # A gene whose own test is strong (g4 H1 = 0.001) is not confirmed when it fails the screen.
    assert stagewise_adjust(SCREEN, CONFIRMATION, alpha=0.05).loc["g4"].isna().all()


def test_nothing_passes_the_screen():
    assert stagewise_adjust(SCREEN * 100, CONFIRMATION, alpha=0.05).isna().all().all()


def test_padj_stagewise_column_is_added_to_the_confirmed_tables_only():
    def table(pvalues, padj=None):
        return pd.DataFrame({"gene_id": GENES[::-1], "pvalue": pvalues[::-1], "padj": padj})

    tables = {"lrt_time_by_response": table(SCREEN.to_numpy()),
              **{f"interaction_{h}": table(CONFIRMATION[h].to_numpy()) for h in CONFIRMATION}}
    tables["lrt_time_by_response"]["padj"] = SCREEN.to_numpy()[::-1]
    add_padj_stagewise(tables, screen="lrt_time_by_response", confirm=[f"interaction_{h}" for h in CONFIRMATION],
                       alpha=0.05)
    assert "padj_stagewise" not in tables["lrt_time_by_response"]
    expected = stagewise_adjust(SCREEN, CONFIRMATION, alpha=0.05)
    for h in CONFIRMATION:
        got = tables[f"interaction_{h}"].set_index("gene_id")["padj_stagewise"]
        pd.testing.assert_series_equal(got.loc[GENES], expected[h], check_names=False)
