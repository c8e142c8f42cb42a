"""Unreadable JSON documents are one ContractValidationError that says why, never a hang."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import (
    MAX_JSON_DEPTH,
    CompiledArtifacts,
    ContractValidationError,
    check_json_document,
    parse_json_document,
    read_json_file,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' * 300 + "1" + "}" * 300, "nested too deeply"),
        ('{"dbt_profiles": {"p": {"threads": NaN}}}', "NaN is not a JSON number"),
        ('{"x": -Infinity}', "-Infinity is not a JSON number"),
        ('{"version": ' + "9" * 5000 + "}", "a number longer than 4300 digits"),
        ("{nope", "not valid JSON"),
    ],
    ids=["deep-list", "deep-object", "nan", "infinity", "long-int", "broken"],
)
def test_unreadable_json_is_one_contract_error(text: str, expected: str) -> None:
    with pytest.raises(ContractValidationError, match=expected) as caught:
        CompiledArtifacts.from_json(text)
    assert caught.value.subject == "invalid compiled artifacts"
    assert len(str(caught.value)) < 1_000


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"version": 10**5000}, "version: an integer of about 50"),
        ({"dbt_profiles": {"p": {"threads": float("nan")}}}, "dbt_profiles.p.threads: nan is not"),
        ({"metadata": {1: "x"}}, "metadata: key of type int"),
    ],
    ids=["long-int", "nan", "int-key"],
)
def test_values_json_cannot_hold_are_refused_by_from_dict(data: Any, expected: str) -> None:
    with pytest.raises(ContractValidationError, match=expected):
        CompiledArtifacts.from_dict(data)


def test_deep_dicts_from_python_are_refused_before_pydantic_recurses() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(sys.getrecursionlimit() * 2):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ContractValidationError, match="nested too deeply"):
        CompiledArtifacts.from_dict({"dbt_profiles": deep})


def test_a_depth_up_to_the_limit_is_fine() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert check_json_document(parse_json_document(text)) == []


def test_a_directory_is_reported_as_one(tmp_path: Path) -> None:
    with pytest.raises(ContractValidationError, match="is a directory") as caught:
        CompiledArtifacts.from_file(tmp_path)
    assert str(tmp_path) in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_reported_as_one_and_never_read(tmp_path: Path) -> None:
    fifo = tmp_path / "compiled_artifacts.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            CompiledArtifacts.from_file(fifo)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        # Unblock the reader so the thread ends, then fail: the API hung on the FIFO.
        with open(fifo, "w") as writer:
            writer.write("{}")
        pytest.fail("from_file blocked on a FIFO")
    (error,) = outcome
    assert isinstance(error, ContractValidationError)
    assert "is a FIFO" in str(error)


def test_a_missing_file_stays_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_json_file(tmp_path / "nope.json")


def test_a_good_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"a": [1, 2.5, "x", None, True]}))
    assert read_json_file(path) == {"a": [1, 2.5, "x", None, True]}


def test_a_well_shaped_document_with_a_duplicate_is_refused(artifacts_dict: dict[str, Any]) -> None:
    artifacts_dict["transforms"]["models"] = [
        {"name": "a", "compute": "duckdb", "depends_on": ["b"]},
        {"name": "b", "compute": "duckdb", "depends_on": ["a"]},
    ]
    # A cycle in the declared depends_on is dbt's to settle (its refs decide the graph; the
    # orchestrator warns where they disagree): the document loads as written.
    loaded = CompiledArtifacts.from_dict(artifacts_dict)
    assert [m.depends_on for m in loaded.transforms.models] == [["b"], ["a"]]  # type: ignore[union-attr]
    artifacts_dict["transforms"]["models"].append({"name": "a", "compute": "duckdb"})
    with pytest.raises(ContractValidationError, match=r"models\[2\].name: 'a' duplicates"):
        CompiledArtifacts.from_dict(artifacts_dict)
