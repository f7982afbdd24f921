"""samzoo: catalog, build, validate and load the Segment Anything for Microscopy models of the BioImage.IO Model Zoo.

Modules: ``catalog`` (model specs and names), ``recommend`` (which model to use),
``builder`` (checkpoint -> zoo package), ``validate`` (check any SAM package),
``resolver`` (load a model by name through a verified cache), ``publisher``
(upload a package to the zoo as a draft for review), ``pipeline`` (build, validate
and release the whole catalog), ``cli``.

Modules are imported when first used (a worker process of samzoo imports only what it runs)::

    import samzoo
    sam = samzoo.load_sam("vit_b_lm")            # segment_anything Sam, weights verified and cached
    paths = samzoo.resolve("noisy-ox/1.2")       # local weight paths
    result = samzoo.build_package("vit_b_lm", "best.pt", output="out.zip")
    report = samzoo.validate_package("out.zip")
    changes = samzoo.diff("v1.zip", "v2.zip")       # metadata, files, weights, behaviour
    outcome = samzoo.publish("out.zip")           # a draft for review on the zoo (token: $BIOIMAGEIO_HYPHA_UPLOAD_TOKEN)
    drift = samzoo.check_published(deep=True)     # are the catalog's published files still what it records?
    site = samzoo.build_site("site", packages="out")  # a static model-card site of the catalog (and built packages)
"""

from importlib import import_module
from typing import Any

from .plumbing.errors import SamzooError, SpecError, UnknownModelError


def _version() -> str:
    """samzoo's version, from the installed package's metadata (pyproject.toml is its one home)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("samzoo")
    except PackageNotFoundError:  # a source tree on sys.path without installing it
        return "0+unknown"


__version__ = _version()

_LAZY = {
    "Catalog": ("samzoo.catalog", "Catalog"),
    "ModelRef": ("samzoo.catalog", "ModelRef"),
    "ModelSpec": ("samzoo.catalog", "ModelSpec"),
    "load_catalog": ("samzoo.catalog", "load_catalog"),
    "resolve": ("samzoo.resolver", "resolve"),
    "recommend": ("samzoo.catalog.recommend", "recommend"),
    "load_sam": ("samzoo.resolver", "load_sam"),
    "load_predictor": ("samzoo.resolver", "load_predictor"),
    "load_decoder": ("samzoo.resolver", "load_decoder"),
    "build_package": ("samzoo.builder", "build_package"),
    "validate_package": ("samzoo.validate", "validate_package"),
    "ValidationOptions": ("samzoo.validate", "ValidationOptions"),
    "build_all": ("samzoo.pipeline", "build_all"),
    "publish": ("samzoo.pipeline", "publish"),
    "release": ("samzoo.pipeline", "release"),
    "check_published": ("samzoo.resolver.published_check", "check_published"),
    "diff": ("samzoo.pipeline", "diff"),
    "build_site": ("samzoo.website", "build_site"),
}

__all__ = ["SamzooError", "SpecError", "UnknownModelError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'samzoo' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = import_module(module_name)
    return module if attr is None else getattr(module, attr)
