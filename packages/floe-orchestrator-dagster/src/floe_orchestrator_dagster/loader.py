"""What floe-generated ``definitions.py`` files import: ``load_product_definitions``.

from floe_orchestrator_dagster.loader import load_product_definitions
defs = load_product_definitions("customer-360", Path(__file__).parent)
"""

from ._loader import load_product_definitions

__all__ = ["load_product_definitions"]
