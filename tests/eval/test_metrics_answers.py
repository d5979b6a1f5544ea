"""Answer metrics: key facts with normalisation, and SQuAD-style token F1."""

from __future__ import annotations

import pytest

from eval.metrics import answers
from eval.metrics.text import markers, normalise, strip_markers
from tests.eval.helpers import record


def test_normalisation_folds_case_accents_typography_and_whitespace() -> None:
    assert normalise("  Orbán   met\nVUČIĆ ") == "orban met vucic"
    assert normalise("Russia’s “demands” – now") == "russia's \"demands\" - now"


def test_a_fact_passes_when_any_variant_is_a_substring() -> None:
    answer = "Orbán met Aleksandar Vučić [1]; the call was  hour-long [2]."
    found = answers.facts_found(answer, [["Orban"], ["Vucic", "Vučić"], ["an hour", "HOUR-LONG"],
                                         ["Beijing"]])
    assert found == [True, True, True, False]


def test_markers_are_not_content() -> None:
    assert strip_markers("Beijing [1]. Moscow [2, 3].") == "Beijing. Moscow."
    assert answers.facts_found("Moscow [12]", [["12"]]) == [False]
    assert markers("a [1] b [2, 3] c [4-6] d [7;8]") == [1, 2, 3, 4, 5, 6, 7, 8]


def test_token_f1_is_squad_style() -> None:
    assert answers.token_f1("The Beijing forum [1]", "Beijing forum.") == 1.0
    assert answers.token_f1("Beijing", "Moscow") == 0.0
    # pred tokens: met in beijing (3), ref tokens: they met in beijing china (5); overlap 3
    assert answers.token_f1("Met in Beijing.", "They met in Beijing, China.") == pytest.approx(
        2 * (3 / 3) * (3 / 5) / (3 / 3 + 3 / 5))
    assert answers.token_f1("", "") == 1.0
    assert answers.token_f1("", "Beijing") == 0.0
    assert answers.token_f1("Orbán", "Orban") == 1.0


def test_accuracy_needs_every_fact_and_a_refusal_scores_zero() -> None:
    both = [["Slovakia"], ["Serbia"]]
    right = record("Slovakia and Serbia [1].", facts=both, reference="Slovakia and Serbia.")
    half = record("Only Slovakia [1].", facts=both, reference="Slovakia and Serbia.")
    # A refusal that happens to contain the fact's word still scores nothing.
    refused = record("The articles do not mention Slovakia or Serbia.", facts=both,
                     refused=True, cited=(), reference="Slovakia and Serbia.")
    failed = record(None, facts=both, error="timeout")
    unanswerable = record("Whatever.", sources=())
    summary = answers.summarise([right, half, refused, failed, unanswerable])
    assert summary["accuracy"] == pytest.approx(1 / 4)
    assert summary["fact_recall"] == pytest.approx((1 + 0.5) / 4)
    assert answers.score(half)["missing_facts"] == ["Serbia"]
    assert answers.score(refused) == {"facts_found": [False, False],
                                      "missing_facts": ["Slovakia", "Serbia"], "correct": False,
                                      "fact_recall": 0.0, "f1": 0.0}
    assert answers.score(unanswerable) == {}
