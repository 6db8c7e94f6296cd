"""Responder grouping from RECIST best overall response."""

import pandas as pd
import pytest

from trialrna.design import response_group

CODES = pd.Series(["CR", "PR", "SD", "PD", "NE"])


def test_orr_groups_cr_pr_against_sd_pd():
    assert response_group(CODES, rule="orr").astype(str).tolist() == [
        "responders", "responders", "non_responders", "non_responders", "nan"]


def test_cbr_counts_stable_disease_as_benefit():
    assert response_group(CODES, rule="cbr").astype(str).tolist() == [
        "responders", "responders", "responders", "non_responders", "nan"]


def test_orr_is_the_default():
    assert response_group(CODES).equals(response_group(CODES, rule="orr"))


def test_unknown_rule():
    with pytest.raises(ValueError, match="response rule 'dcr'"):
        response_group(CODES, rule="dcr")
