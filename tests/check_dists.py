"""Check the built distributions in dist/ beyond what twine checks (run by `nox -s build`).

For each package: a wheel and an sdist exist at the version of its ``__about__.py``; the wheel
ships ``py.typed``; sibling requirements are compatible ranges, never exact pins; every wheel
declares Python >= 3.10 and the ``Typing :: Typed`` classifier; wheel and sdist carry the
repository's Apache-2.0 ``LICENSE`` text (and any ``NOTICE`` the package has), and the wheel's
metadata says ``License-Expression: Apache-2.0`` with those files as ``License-File``.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LICENSE = (ROOT / "LICENSE").read_bytes()
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
            shipped = {
                file: archive.read(f"{module}-{version}.dist-info/licenses/{file}")
                for file in ("LICENSE", "NOTICE")
                if f"{module}-{version}.dist-info/licenses/{file}" in names
            }
        problems += _licence_problems(name, package_dir, metadata, shipped)
        if sdist.is_file():
            with tarfile.open(sdist) as archive:
                inside = f"{module}-{version}/LICENSE"
                member = archive.extractfile(inside) if inside in archive.getnames() else None
                if member is None or member.read() != LICENSE:
                    problems.append(f"{name}: the sdist lacks the repository's LICENSE text")
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


def _licence_problems(
    name: str, package_dir: Path, metadata: Message, shipped: dict[str, bytes]
) -> list[str]:
    problems = []
    if metadata["License-Expression"] != "Apache-2.0":
        problems.append(f"{name}: License-Expression is {metadata['License-Expression']!r}")
    expected = {"LICENSE": LICENSE}
    notice = package_dir / "NOTICE"
    if notice.is_file():
        expected["NOTICE"] = notice.read_bytes()
    for file, text in expected.items():
        if shipped.get(file) != text:
            problems.append(f"{name}: the wheel lacks {file} (or its text differs from the repo's)")
        if file not in (metadata.get_all("License-File") or []):
            problems.append(f"{name}: metadata names no License-File {file}")
    return problems


def main() -> int:
    problems = check(ROOT / "dist")
    for problem in problems:
        print(f"dist check: {problem}")
    print(f"dist check: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
