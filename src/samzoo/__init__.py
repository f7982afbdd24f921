"""samzoo: catalog, build, validate and load the Segment Anything for Microscopy models of the BioImage.IO Model Zoo.

Modules: ``catalog`` (model specs and names), ``recommend`` (which model to use),
``build`` (checkpoint -> zoo package), ``validate`` (check any SAM package),
``resolve`` (load a model by name through a verified cache), ``cli``.
"""

from .catalog import Catalog, ModelRef, ModelSpec, load_catalog
from .errors import SamzooError, SpecError, UnknownModelError

__version__ = "0.1.0"

__all__ = ["Catalog", "ModelRef", "ModelSpec", "SamzooError", "SpecError", "UnknownModelError", "load_catalog", "__version__"]
