"""What lineage needs of a Dagster code location's asset graph, read through public APIs only.

From a ``Definitions``: each ``AssetsDefinition``'s op (``node_def.name``, the root of its step
keys), its keys and whether it can run a subset of them, and each asset's spec (``deps`` and
``metadata``, ``resolve_all_asset_specs``). Nothing under ``dagster._core`` is imported and no
private attribute is read.

Which Definitions a run belongs to, when Dagster does not say (the instance handler is given no
job): the run's code origin in the instance's run record (``DagsterInstance.get()`` where
``DAGSTER_HOME`` is set) names the module and attribute; otherwise the one ``Definitions`` this
process has loaded that defines the run's job (a code location's process loads one). With none,
or several that cannot be told apart, lineage comes from the run's events alone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "IMPLICIT_JOB",
    "AssetGraph",
    "definitions_for_run",
    "graph_of",
    "job_of",
    "register_definitions",
    "run_record",
]

logger = logging.getLogger(__name__)

IMPLICIT_JOB = "__ASSET_JOB"
# Metadata that floe-dagster-assets puts on each dbt node it builds: those assets are reported by
# the dbt run's OpenLineageObserver, with more than Dagster's events say.
OBSERVED_MARKER = "floe/compute"


@dataclass
class AssetGraph:
    """Ops, their asset keys, and each asset's upstream keys and metadata."""

    keys_by_op: dict[str, list[Any]] = field(default_factory=dict)
    subsettable_ops: set[str] = field(default_factory=set)
    parents: dict[Any, list[Any]] = field(default_factory=dict)
    metadata: dict[Any, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, defs: Any) -> AssetGraph | None:
        """The graph of a ``dagster.Definitions`` (``None`` for anything else)."""
        import dagster as dg

        if not isinstance(defs, dg.Definitions):
            return None
        graph = cls()
        try:
            for spec in defs.resolve_all_asset_specs():
                graph.parents[spec.key] = sorted(
                    (dep.asset_key for dep in spec.deps), key=lambda k: k.path
                )
                graph.metadata[spec.key] = dict(spec.metadata or {})
            for assets_def in defs.assets or []:
                if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_executable:
                    continue
                op = assets_def.node_def.name
                keys = sorted(assets_def.keys, key=_path)
                graph.keys_by_op.setdefault(op, []).extend(keys)
                if assets_def.can_subset and len(keys) > 1:
                    graph.subsettable_ops.add(op)
        except Exception:
            logger.debug("the asset graph of %r could not be read", defs, exc_info=True)
            return None
        return graph

    def observed(self, key: Any) -> bool:
        """Whether an OpenLineageObserver reports this asset (a dbt node floe built)."""
        return OBSERVED_MARKER in self.metadata.get(key, {})


# -- which Definitions a run belongs to ----------------------------------------------------------
_LOCK = threading.Lock()
# Strong references (Definitions cannot be weakly referenced), a few at most: a code location's
# process builds one or two.
_KEPT = 16
_REGISTERED: OrderedDict[int, Any] = OrderedDict()
_GRAPHS: OrderedDict[int, tuple[Any, AssetGraph | None]] = OrderedDict()


def graph_of(defs: Any) -> AssetGraph | None:
    """:meth:`AssetGraph.of`, once per ``Definitions`` object."""
    if defs is None:
        return None
    with _LOCK:
        kept = _GRAPHS.get(id(defs))
        if kept is not None and kept[0] is defs:
            return kept[1]
    graph = AssetGraph.of(defs)
    with _LOCK:
        _GRAPHS[id(defs)] = (defs, graph)
        while len(_GRAPHS) > _KEPT:
            _GRAPHS.popitem(last=False)
    return graph


def _path(key: Any) -> list[str]:
    return list(key.path)


def register_definitions(defs: Any) -> None:
    """Remember ``defs`` as a candidate code location for runs in this process."""
    with _LOCK:
        _REGISTERED[id(defs)] = defs
        _REGISTERED.move_to_end(id(defs))
        while len(_REGISTERED) > _KEPT:
            _REGISTERED.popitem(last=False)


def run_record(run_id: str) -> Any:
    """The run's record from the instance of ``DAGSTER_HOME`` (``None`` without one)."""
    if not os.environ.get("DAGSTER_HOME"):
        return None
    import dagster as dg

    try:
        with dg.DagsterInstance.get() as instance:
            return instance.get_run_by_id(run_id)
    except Exception:
        logger.debug("run %s: no record in the DAGSTER_HOME instance", run_id, exc_info=True)
        return None


def definitions_for_run(job_name: str, run: Any = None) -> Any:
    """The ``Definitions`` that defines ``job_name`` for this run: from the run's code origin
    when its record is known, else the only loaded one defining it; ``None`` if unknown."""
    if run is not None:
        found = _definitions_of_origin(run)
        if found is not None:
            return found
    with _LOCK:
        candidates = dict(_REGISTERED)
    for defs in _module_definitions():
        candidates.setdefault(id(defs), defs)
    matching = [d for d in candidates.values() if defines_job(d, job_name)]
    if len(matching) == 1:
        return matching[0]
    if matching:
        logger.debug(
            "%d loaded Definitions define %r: lineage from events", len(matching), job_name
        )
    return None


def defines_job(defs: Any, job_name: str) -> bool:
    return job_of(defs, job_name) is not None


def job_of(defs: Any, job_name: str) -> Any:
    """``job_name`` of ``defs`` as a ``JobDefinition`` (the implicit asset job included)."""
    import dagster as dg

    if not isinstance(defs, dg.Definitions):
        return None
    try:
        if job_name == IMPLICIT_JOB:
            return defs.resolve_implicit_global_asset_job_def() if defs.assets else None
        names = {getattr(job, "name", None) for job in defs.jobs or []}
        return defs.resolve_job_def(job_name) if job_name in names else None
    except Exception:
        logger.debug("job %r could not be resolved", job_name, exc_info=True)
        return None


def _definitions_of_origin(run: Any) -> Any:
    """The ``Definitions`` the run's code origin names, as this process already imported it
    (never imported anew: no user code runs again)."""
    origin = getattr(run, "job_code_origin", None)
    pointer = getattr(getattr(origin, "repository_origin", None), "code_pointer", None)
    if pointer is None:
        return None
    attribute = getattr(pointer, "fn_name", None) or getattr(pointer, "attribute", None)
    module_name = getattr(pointer, "module", None)
    if isinstance(module_name, str):
        module = sys.modules.get(module_name)
    else:
        module = _module_of_file(getattr(pointer, "python_file", None))
    if module is None:
        return None
    if isinstance(attribute, str):
        return vars(module).get(attribute)
    found = _definitions_in(module)
    return found[0] if len(found) == 1 else None


def _module_of_file(path: Any) -> Any:
    if not isinstance(path, str):
        return None
    wanted = os.path.realpath(path)
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.realpath(file) == wanted:
            return module
    return None


def _module_definitions() -> list[Any]:
    found: list[Any] = []
    for module in list(sys.modules.values()):
        found.extend(_definitions_in(module))
    return found


def _definitions_in(module: Any) -> list[Any]:
    import dagster as dg

    # vars(), not getattr(): a module's lazy __getattr__ must not import anything here.
    namespace = getattr(module, "__dict__", None)
    if not isinstance(namespace, dict) or getattr(module, "__name__", "").startswith("dagster"):
        return []
    return [value for value in list(namespace.values()) if isinstance(value, dg.Definitions)]
