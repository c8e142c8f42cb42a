"""Check the built distributions in dist/ beyond what twine checks (run by `nox -s build`).

For each package: a wheel and an sdist exist at the version of its ``__about__.py``; the wheel
ships ``py.typed``; sibling requirements are compatible ranges, never exact pins; every wheel
declares Python >= 3.10 and the ``Typing :: Typed`` classifier.
"""

from __future__ import annotations

import re
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIBLING = re.compile(r"^(floe-[a-z-]+)(\[[^\]]*\])?\s*(.*)$")


def check(dist: Path) -> list[str]:
    problems = []
    for package_dir in sorted((ROOT / "packages").iterdir()):
        name = package_dir.name
        module = name.replace("-", "_")
        about = (package_dir / "src" / module / "__about__.py").read_text()
        version = re.search(r'__version__ = "([^"]+)"', about).group(1)  # type: ignore[union-attr]
        wheel = dist / f"{module}-{version}-py3-none-any.whl"
        sdist = dist / f"{module}-{version}.tar.gz"
        for path in (wheel, sdist):
            if not path.is_file():
                problems.append(f"{name}: missing {path.name}")
        if not wheel.is_file():
            continue
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            metadata = Parser().parsestr(
                archive.read(f"{module}-{version}.dist-info/METADATA").decode()
            )
        if f"{module}/py.typed" not in names:
            problems.append(f"{name}: wheel lacks {module}/py.typed")
        if metadata["Requires-Python"] != ">=3.10":
            problems.append(f"{name}: Requires-Python is {metadata['Requires-Python']!r}")
        if "Typing :: Typed" not in (metadata.get_all("Classifier") or []):
            problems.append(f"{name}: no 'Typing :: Typed' classifier")
        for requirement in metadata.get_all("Requires-Dist") or []:
            match = SIBLING.match(requirement.split(";")[0].strip())
            if match and ("==" in match.group(3) or "<" not in match.group(3)):
                problems.append(f"{name}: sibling requirement {requirement!r} is not a range")
    return problems


def main() -> int:
    problems = check(ROOT / "dist")
    for problem in problems:
        print(f"dist check: {problem}")
    print(f"dist check: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
