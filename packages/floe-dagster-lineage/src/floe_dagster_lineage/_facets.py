"""OpenLineage facets as plain JSON objects, each with its ``_producer`` and ``_schemaURL``.

Plain mappings rather than openlineage-python's generated classes: their fields move between
releases (``DataQualityAssertionsDatasetFacet`` gained ``name``/``severity``/``actual`` long
after our 1.35 floor), and every transport serializes a mapping as it is. Each schema URL is the
facet version whose fields we write (the spec's copy in the tests validates each of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .__about__ import __version__
from ._events import PRODUCER

__all__ = [
    "column_lineage",
    "data_quality_assertions",
    "data_source",
    "documentation_dataset",
    "documentation_job",
    "error_message",
    "job_type",
    "output_statistics",
    "parent_run",
    "processing_engine",
    "schema",
    "sql",
    "tags_run",
]

_FACETS = "https://openlineage.io/spec/facets/"
_SCHEMAS = {
    "ColumnLineageDatasetFacet": "1-2-0",
    "DataQualityAssertionsDatasetFacet": "1-1-0",
    "DatasourceDatasetFacet": "1-0-1",
    "DocumentationDatasetFacet": "1-1-0",
    "DocumentationJobFacet": "1-1-0",
    "ErrorMessageRunFacet": "1-0-1",
    "JobTypeJobFacet": "2-0-4",
    "OutputStatisticsOutputDatasetFacet": "1-0-2",
    "ParentRunFacet": "1-2-0",
    "ProcessingEngineRunFacet": "1-1-1",
    "SQLJobFacet": "1-1-0",
    "SchemaDatasetFacet": "1-2-0",
    "TagsRunFacet": "1-0-0",
}


def _facet(kind: str, **fields: Any) -> dict[str, Any]:
    url = f"{_FACETS}{_SCHEMAS[kind]}/{kind}.json#/$defs/{kind}"
    return {"_producer": PRODUCER, "_schemaURL": url, **fields}


# -- run facets ----------------------------------------------------------------------------------
def parent_run(run_id: str, namespace: str, job: str) -> dict[str, Any]:
    """The run that spawned this one; it is also the root (a Dagster run has no parent)."""
    here = {"run": {"runId": run_id}, "job": {"namespace": namespace, "name": job}}
    return _facet("ParentRunFacet", **here, root=here)


def processing_engine(name: str, version: str) -> dict[str, Any]:
    return _facet(
        "ProcessingEngineRunFacet",
        name=name,
        version=version,
        openlineageAdapterVersion=__version__,
    )


def error_message(message: str, language: str, stack_trace: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"message": message, "programmingLanguage": language}
    if stack_trace:
        fields["stackTrace"] = stack_trace
    return _facet("ErrorMessageRunFacet", **fields)


def tags_run(tags: Mapping[str, str], source: str) -> dict[str, Any]:
    items = [{"key": key, "value": value, "source": source} for key, value in tags.items()]
    return _facet("TagsRunFacet", tags=items)


# -- job facets ----------------------------------------------------------------------------------
def job_type(integration: str, kind: str) -> dict[str, Any]:
    return _facet("JobTypeJobFacet", processingType="BATCH", integration=integration, jobType=kind)


def sql(query: str, dialect: str | None) -> dict[str, Any]:
    return _facet("SQLJobFacet", query=query, **({"dialect": dialect} if dialect else {}))


def documentation_job(description: str) -> dict[str, Any]:
    return _facet("DocumentationJobFacet", description=description)


# -- dataset facets ------------------------------------------------------------------------------
def data_source(namespace: str) -> dict[str, Any]:
    return _facet("DatasourceDatasetFacet", name=namespace, uri=namespace)


def documentation_dataset(description: str) -> dict[str, Any]:
    return _facet("DocumentationDatasetFacet", description=description)


def schema(columns: Iterable[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    fields = []
    for name, kind, description in columns:
        field: dict[str, Any] = {"name": name}
        if kind:
            field["type"] = kind
        if description:
            field["description"] = description
        fields.append(field)
    return _facet("SchemaDatasetFacet", fields=fields)


def column_lineage(
    fields: Mapping[str, Sequence[tuple[str, str, str, str | None]]],
) -> dict[str, Any]:
    """``fields``: output column → ``(namespace, dataset name, input column, transformation)``."""
    out: dict[str, Any] = {}
    for column, inputs in fields.items():
        entries = []
        for namespace, name, field, transformation in inputs:
            entry: dict[str, Any] = {"namespace": namespace, "name": name, "field": field}
            if transformation:
                entry["transformations"] = [{"type": transformation}]
            entries.append(entry)
        out[column] = {"inputFields": entries}
    return _facet("ColumnLineageDatasetFacet", fields=out)


def output_statistics(row_count: int) -> dict[str, Any]:
    return _facet("OutputStatisticsOutputDatasetFacet", rowCount=row_count)


def data_quality_assertions(assertions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return _facet("DataQualityAssertionsDatasetFacet", assertions=[dict(a) for a in assertions])
