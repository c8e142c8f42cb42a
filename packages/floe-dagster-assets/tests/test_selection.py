"""dbt's selection syntax on the example's manifest: what `dbt build --select ...` would build."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_dagster_assets import DbtSelectionError, select_dbt_nodes

SEEDS = {"raw_greenhouses", "raw_harvests", "raw_sensor_readings"}
STAGING = {"stg_greenhouses", "stg_harvests", "stg_sensor_readings", "stg_weather"}
MARTS = {"fct_daily_climate", "fct_harvests", "mart_yield_vs_climate", "rpt_greenhouse_scorecard"}


def _names(parsed_greenhouse: Path, *select: str, exclude: tuple[str, ...] = ()) -> set[str]:
    chosen = select_dbt_nodes(
        parsed_greenhouse / "target" / "manifest.json",
        select,
        exclude,
        project_dir=parsed_greenhouse,
    )
    return {uid.rsplit(".", 1)[-1] for uid in chosen.nodes}


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        # Ancestors through the seeds that fct_harvests' staging models read.
        (
            ("+fct_harvests",),
            {"fct_harvests", "stg_harvests", "stg_greenhouses"} | SEEDS - {"raw_sensor_readings"},
        ),
        (("1+fct_harvests",), {"fct_harvests", "stg_harvests", "stg_greenhouses"}),
        (("fct_harvests+",), {"fct_harvests", "mart_yield_vs_climate", "rpt_greenhouse_scorecard"}),
        (("fct_harvests+1",), {"fct_harvests", "mart_yield_vs_climate"}),
        # The ephemeral int_daily_climate counts as a step, as in dbt.
        (
            ("2+fct_daily_climate",),
            {"fct_daily_climate", "stg_greenhouses", "stg_weather", "stg_sensor_readings"}
            | {"raw_greenhouses"},
        ),
        (("tag:staging",), STAGING),
        (("tag:staging,tag:harvest",), {"stg_harvests"}),
        (("tag:staging tag:marts",), STAGING | MARTS),
        (("path:models/marts",), MARTS),
        (("models/staging/",), STAGING),
        (("path:models/**/stg_w*.sql",), {"stg_weather"}),
        (("file:stg_weather.sql",), {"stg_weather"}),
        (("resource_type:seed",), SEEDS),
        (("resource_type:snapshot",), {"greenhouses_snapshot"}),
        (
            ("source:weather+",),
            {
                "stg_weather",
                "fct_daily_climate",
                "mart_yield_vs_climate",
                "rpt_greenhouse_scorecard",
            },
        ),
        (("greenhouse.marts",), MARTS),
        (("stg_*",), STAGING),
        (
            ("config.materialized:view",),
            {"stg_greenhouses", "stg_sensor_readings", "rpt_greenhouse_scorecard"},
        ),
        (("package:this,resource_type:seed",), SEEDS),
    ],
)
def test_selectors_select_what_dbt_would_build(
    parsed_greenhouse: Path, select: tuple[str, ...], expected: set[str]
) -> None:
    assert _names(parsed_greenhouse, *select) == expected


def test_exclude_leaves_out_nodes_and_their_tests(parsed_greenhouse: Path) -> None:
    manifest = parsed_greenhouse / "target" / "manifest.json"
    everything = select_dbt_nodes(manifest)
    assert len(everything.nodes) == 12  # 3 seeds, 1 snapshot, 8 models (one is ephemeral)
    assert {uid.rsplit(".", 1)[-1] for uid in everything.ephemeral} == {"int_daily_climate"}

    without_seeds = select_dbt_nodes(manifest, ["+fct_harvests"], ["resource_type:seed"])
    assert {u.rsplit(".", 1)[-1] for u in without_seeds.nodes} == {
        "fct_harvests",
        "stg_harvests",
        "stg_greenhouses",
    }
    # dbt build selects the tests of what it builds; excluding a node drops its tests too.
    with_tests = select_dbt_nodes(manifest, ["fct_harvests"])
    assert {t.split(".")[2] for t in with_tests.tests} == {
        "unique_fct_harvests_harvest_id",
        "assert_harvest_weight_positive",  # a singular test reading fct_harvests only
    }
    assert not select_dbt_nodes(manifest, ["fct_harvests"], ["resource_type:test"]).tests
    only_tests = select_dbt_nodes(manifest, ["test_type:singular"])
    assert not only_tests.nodes
    assert {t.rsplit(".", 1)[-1] for t in only_tests.tests} == {
        "assert_climate_in_plausible_range",
        "assert_harvest_weight_positive",
    }


@pytest.mark.parametrize(
    ("select", "exclude", "expected"),
    [
        (
            ("stg_wether",),
            (),
            "--select 'stg_wether' matches nothing in dbt project 'greenhouse'; "
            "did you mean stg_weather",
        ),
        (
            ("int_daily_climate",),
            (),
            "--select 'int_daily_climate' names only ephemeral model(s) int_daily_climate",
        ),
        (("source:weather",), (), "names only dbt source(s) weather.daily_weather"),
        (("state:modified",), (), "unknown selector method 'state'"),
        (("resource_type:modle",), (), "unknown resource type 'modle'"),
        (("@+fct_harvests",), (), "'@' and a leading '+' cannot be combined"),
        (("fct_harvests",), ("fct_harvests",), "leaves nothing to build"),
        (("fct_harvests",), ("tag:nightly",), "--exclude 'tag:nightly' matches nothing"),
    ],
)
def test_a_selector_dbt_would_not_run_is_named_in_one_line(
    parsed_greenhouse: Path, select: tuple[str, ...], exclude: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(DbtSelectionError) as raised:
        select_dbt_nodes(parsed_greenhouse / "target" / "manifest.json", select, exclude)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_every_problem_is_named_at_once(parsed_greenhouse: Path) -> None:
    with pytest.raises(DbtSelectionError) as raised:
        select_dbt_nodes(
            parsed_greenhouse / "target" / "manifest.json", ["nope", "tag:staging", "also_nope"]
        )
    assert [p.split("'")[1] for p in raised.value.problems] == ["nope", "also_nope"]
