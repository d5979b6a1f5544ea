"""Speed metrics: p50 and p95 per stage, errors left out."""

from __future__ import annotations

import pytest

from eval.metrics import speed
from tests.eval.helpers import record


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]
    assert speed.percentile(values, 50) == pytest.approx(50.5)
    assert speed.percentile(values, 95) == pytest.approx(95.05)
    assert speed.percentile([7.0], 95) == 7.0
    assert speed.percentile([], 50) is None


def test_stages_summarised_without_failed_questions() -> None:
    records = [record(timings=(10.0, 100.0, 110.0)), record(timings=(20.0, 200.0, 220.0)),
               record(None, timings=(1.0, 1.0, 9999.0), error="boom"),
               record(None, timings=None, error="boom")]
    summary = speed.summarise(records)
    assert summary["retrieve_p50_ms"] == 15.0
    assert summary["generate_p50_ms"] == 150.0
    assert summary["total_p95_ms"] == pytest.approx(110 + 0.95 * 110)
    assert speed.summarise([])["total_p50_ms"] is None
