from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("FLOE_REFERENCE_DIR", ROOT / "tests" / "reference"))
EXAMPLE = ROOT / "examples" / "greenhouse"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())
