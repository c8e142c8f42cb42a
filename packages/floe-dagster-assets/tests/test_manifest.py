"""Manifests: produced by dbt parse when missing, refreshed when the project changed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from floe_dagster_assets import (
    DbtParseError,
    enrich_transforms,
    ensure_manifest,
    load_manifest,
    transforms_from_manifest,
)
from floe_dagster_assets._index import ManifestIndex
from floe_orchestrator_contract import ContractValidationError, TransformConfig


def test_an_up_to_date_manifest_is_reused_and_a_changed_model_is_reparsed(greenhouse: Any) -> None:
    profiles = greenhouse.artifacts.dbt_profiles
    path = ensure_manifest(greenhouse.project, profiles=profiles, target="duckdb")
    before = path.stat().st_mtime_ns
    assert ensure_manifest(greenhouse.project, profiles=profiles, target="duckdb") == path
    assert path.stat().st_mtime_ns == before  # nothing changed: dbt parse did not run

    model = greenhouse.project / "models" / "marts" / "fct_harvests.sql"
    model.write_text(model.read_text().replace("as weight_kg_per_m2", "as kg_per_square_metre"))
    path = ensure_manifest(greenhouse.project, profiles=profiles, target="duckdb")
    node = load_manifest(path)["nodes"]["model.greenhouse.fct_harvests"]
    assert "kg_per_square_metre" in node["raw_code"]


def test_a_broken_project_fails_parse_with_dbt_words(greenhouse: Any) -> None:
    (greenhouse.project / "models" / "marts" / "bad.sql").write_text(
        "select * from {{ ref('no_such_model') }}"
    )
    with pytest.raises(DbtParseError) as caught:
        ensure_manifest(greenhouse.project, profiles=greenhouse.artifacts.dbt_profiles)
    assert "no_such_model" in str(caught.value)


def test_transforms_from_the_manifest_match_the_compiled_artifacts(parsed_greenhouse: Path) -> None:
    manifest = load_manifest(parsed_greenhouse / "target" / "manifest.json")
    derived = {t.name: t for t in transforms_from_manifest(manifest, default_compute="duckdb")}
    artifacts = json.loads((parsed_greenhouse / "compiled_artifacts.json").read_text())
    models = artifacts["transforms"]["models"]
    assert set(derived) == {m["name"] for m in models}
    for model in models:
        assert sorted(derived[model["name"]].depends_on) == sorted(model["depends_on"])
    assert derived["int_daily_climate"].materialization == "ephemeral"
    assert derived["fct_daily_climate"].materialization == "incremental"
    assert derived["fct_harvests"].meta == {"owner": "growers"}
    assert derived["stg_weather"].path == "models/staging/stg_weather.sql"


def test_enrichment_fills_what_compiled_artifacts_lack(parsed_greenhouse: Path) -> None:
    manifest = load_manifest(parsed_greenhouse / "target" / "manifest.json")
    given = TransformConfig("fct_harvests", compute="duckdb", meta={"tier": "gold"}, tags=["x"])
    (enriched,) = enrich_transforms([given], manifest)
    assert enriched.path == "models/marts/fct_harvests.sql"
    assert enriched.schema_name == "marts"
    assert enriched.materialization == "table"
    assert enriched.meta == {"owner": "growers", "tier": "gold"}
    assert (enriched.compute, enriched.tags) == ("duckdb", ["x"])
    assert given.meta == {"tier": "gold"}  # the input is not modified


def test_a_repeated_load_reads_the_cached_index_never_the_manifest(greenhouse: Any) -> None:
    first = greenhouse.create_assets()
    manifest = greenhouse.project / "target" / "manifest.json"
    assert (manifest.parent / "floe_manifest_index.json").is_file()
    stat = manifest.stat()
    # Same size and modification time, but no longer JSON: only a load that parses it can fail.
    manifest.write_bytes(b"x" * stat.st_size)
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = greenhouse.create_assets()
    assert [sorted(a.specs, key=str) for a in again] == [sorted(a.specs, key=str) for a in first]
    # Rewritten (a new modification time, as any dbt command gives it): read again, and refused.
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(ContractValidationError, match="not valid JSON"):
        greenhouse.create_assets(manifest_path=manifest)


def test_the_cached_index_holds_everything_the_manifest_gave(parsed_greenhouse: Path) -> None:
    manifest = load_manifest(parsed_greenhouse / "target" / "manifest.json")
    index = ManifestIndex.from_manifest(manifest)
    # Every kind of entry is covered: sources, tests, seeds and snapshots.
    assert index.sources
    assert index.tests
    assert index.others
    cached = json.loads(json.dumps(index.to_json()))
    assert ManifestIndex.from_json(cached) == index


def test_touching_the_project_without_changing_it_does_not_reparse(greenhouse: Any) -> None:
    profiles = greenhouse.artifacts.dbt_profiles
    path = ensure_manifest(greenhouse.project, profiles=profiles, target="duckdb")
    before = path.stat().st_mtime_ns
    for model in (greenhouse.project / "models").rglob("*.sql"):
        model.touch()  # as a checkout or a copy into an image does
    assert ensure_manifest(greenhouse.project, profiles=profiles, target="duckdb") == path
    assert path.stat().st_mtime_ns == before  # the contents decided: dbt parse did not run
