"""Transitional only: ``user_catalog.py`` (moved to ``samzoo/catalog/`` on the catalog branch) imports
``temp_name`` from here. Delete this file together with ``resolve/user_catalog.py`` at the merge."""

from ..atomic import temp_name

__all__ = ["temp_name"]
