"""Load any model of the family by name through a verified, concurrency-safe, offline-capable cache.

``resolve(name)`` -> :class:`Resolved` (local weight paths), ``load_sam(name)`` -> ``Sam``,
``load_predictor(name)`` -> ``SamPredictor``. Modules: ``settings`` (environment, read at call
time), ``cache`` (layout and stamps), ``download`` (HTTP/file transfers), ``fetch`` (cache ->
micro-sam cache -> URL -> mirrors), ``package`` (rdf.yaml), ``resolver`` (names), ``load``
(modules), ``importer`` (hand-carried files).

This package is callable: ``samzoo.resolve(name)`` is ``samzoo.resolve.resolve(name)``, so the
top-level API works whether ``samzoo.resolve`` is bound to this package or to the function.
"""

import sys
import types

from .load import load_predictor, load_sam
from .resolver import Resolved, resolve

__all__ = ["Resolved", "load_predictor", "load_sam", "resolve"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs) -> Resolved:
        return resolve(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
