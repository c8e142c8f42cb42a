"""validate_helm_values gives the real chart's verdict on every probe (see _probes.py)."""

from __future__ import annotations

import pytest

from floe_dagster_helm import validate_helm_values

from ._probes import PROBES, Probe


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_validate_agrees_with_the_real_chart(probe: Probe) -> None:
    problems = validate_helm_values(probe.values())
    if probe.accepted:
        assert problems == []
    else:
        assert problems, "the chart refuses these values"
        assert any(probe.because in problem for problem in problems), problems
