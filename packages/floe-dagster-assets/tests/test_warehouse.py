"""Where a target's relations live, read from the profile as dbt reads it, without secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from floe_dagster_assets._warehouse import resolve_warehouse


def _project(tmp_path: Path, outputs: dict[str, Any], target: str = "dev") -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nversion: '1'\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(
        json.dumps({"shop": {"target": target, "outputs": outputs}})
    )
    return tmp_path


def test_a_relative_duckdb_path_is_the_file_dbt_opens_from_the_project(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {"dev": {"type": "duckdb", "path": "{{ env_var('SHOP_DB', 'target/shop.duckdb') }}"}},
    )
    warehouse = resolve_warehouse(project, project, None)
    assert warehouse is not None
    assert warehouse.adapter == "duckdb"
    assert warehouse.path == str(project.resolve() / "target" / "shop.duckdb")
    assert warehouse.database == "shop"


def test_env_vars_and_the_default_target_are_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB", str(tmp_path / "elsewhere" / "prod.duckdb"))
    monkeypatch.setenv("SHOP_TARGET", "prod")
    project = _project(
        tmp_path,
        {
            "dev": {"type": "duckdb", "path": "dev.duckdb"},
            "prod": {"type": "duckdb", "path": "{{ env_var('SHOP_DB') }}"},
        },
        target="{{ env_var('SHOP_TARGET', 'dev') }}",
    )
    default = resolve_warehouse(project, project, None)
    assert default is not None
    assert default.path == str(tmp_path / "elsewhere" / "prod.duckdb")
    dev = resolve_warehouse(project, project, "dev")
    assert dev is not None
    assert dev.path == str(project.resolve() / "dev.duckdb")


def test_a_server_warehouse_keeps_host_port_database_and_never_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PG_PASSWORD", "s3cr3t-pw")
    monkeypatch.setenv("PG_PORT", "5433")
    project = _project(
        tmp_path,
        {
            "dev": {
                "type": "postgres",
                "host": "analytics:hunter2@db.example.com",
                "port": "{{ env_var('PG_PORT') | as_number }}",
                "user": "loader",
                "password": "{{ env_var('PG_PASSWORD') }}",
                "dbname": "shop",
                "schema": "public",
            }
        },
    )
    warehouse = resolve_warehouse(project, project, "dev")
    assert warehouse is not None
    assert (warehouse.adapter, warehouse.host, warehouse.port) == (
        "postgres",
        "db.example.com",
        5433,
    )
    assert warehouse.database == "shop"
    text = repr(warehouse)
    for secret in ("s3cr3t-pw", "hunter2", "loader", "analytics"):
        assert secret not in text


def test_a_motherduck_token_in_the_path_is_dropped(tmp_path: Path) -> None:
    project = _project(
        tmp_path, {"dev": {"type": "duckdb", "path": "md:shop?motherduck_token=tok-123"}}
    )
    warehouse = resolve_warehouse(project, project, "dev")
    assert warehouse is not None
    assert warehouse.path == "md:shop"
    assert warehouse.database == "shop"
    assert "tok-123" not in repr(warehouse)


def test_an_unknown_target_or_profile_gives_no_warehouse(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": {"type": "duckdb", "path": "x.duckdb"}})
    assert resolve_warehouse(project, project, "missing") is None
    assert resolve_warehouse(project, tmp_path / "nowhere", None) is None
