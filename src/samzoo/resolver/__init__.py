"""Load any model of the family by name through a verified, concurrency-safe, offline-capable cache.

``resolve(name)`` -> :class:`Resolved` (local weight paths), ``load_sam(name)`` -> ``Sam``,
``load_predictor(name)`` -> ``SamPredictor``, ``load_decoder(name)`` -> the AIS decoder's state dict. Modules: ``settings`` (environment, read at call
time), ``store`` (the hash-checked store: layout, stamps, the one writer), ``transfer`` (HTTP/file
transfers), ``fetch`` (cache -> micro-sam cache -> URL -> mirrors), ``package_weights`` (a package's weights through its rdf.yaml),
``local`` (checkpoints, packages, collections on this machine), ``by_name`` (any name -> weights),
``load`` (modules), ``importer`` (hand-carried files), ``mirror_server`` (serve a folder over HTTP),
``zoo_package`` (any zoo id as a package folder), ``published_check`` (are the catalog's URLs still what it records).
"""

from .load import load_decoder, load_predictor, load_sam
from .by_name import resolve
from .local import Resolved

__all__ = ["Resolved", "load_decoder", "load_predictor", "load_sam", "resolve"]
