"""Deferring a third-party import that costs every notebook tool about 1.8 s and is almost never used.

``jsonschema`` (imported by nbformat, hence by papermill, nbconvert and nbclient) imports
``rfc3987_syntax`` as soon as it loads, to check the "iri" and "iri-reference" string formats; that
module builds some 35 Earley parsers at import time (1.8 s measured here, in every process: the
builder's warm process, ``hmip run``, the tests). No notebook schema uses those formats. The upstream
reports are python-jsonschema/jsonschema#1428 (lazy import) and its successors.

:func:`defer_rfc3987_syntax` gives jsonschema a stand-in module whose ``is_valid_syntax`` imports the
real module the first time it is called, so behaviour is unchanged (an IRI is still checked when a
schema asks for it) and the cost is paid only then. It is called explicitly, before anything imports
nbformat, by the entry points that need it: the build, ``hmip reports publish``, ``hmip run`` and the
build's warm process. Importing hmip does not call it; plain ``papermill`` or ``jupyter nbconvert`` are
not affected.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

_NAME = "rfc3987_syntax"


def _real() -> types.ModuleType:
    module = sys.modules.get(_NAME)
    if module is None or getattr(module, "__hmip_stand_in__", False):
        sys.modules.pop(_NAME, None)
        module = importlib.import_module(_NAME)
    return module


def is_valid_syntax(term: str, value: str) -> bool:
    """rfc3987_syntax.is_valid_syntax, imported on first use."""
    return _real().is_valid_syntax(term, value)


def _other_name(name: str) -> object:
    """Any other public name: from the real module. Dunder names (``__path__``, ``__file__``, which the
    import system and repr look up) are not there, so looking them up imports nothing."""
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)
    return getattr(_real(), name)


def defer_rfc3987_syntax() -> bool:
    """Install the stand-in if rfc3987_syntax is installed and neither it nor jsonschema's format module
    is loaded yet. Returns True when the stand-in is in place."""
    if _NAME in sys.modules:
        return bool(getattr(sys.modules[_NAME], "__hmip_stand_in__", False))
    if "jsonschema._format" in sys.modules or importlib.util.find_spec(_NAME) is None:
        return False
    stand_in = types.ModuleType(_NAME, "stand-in for rfc3987_syntax, imported on first use (hmip)")
    stand_in.__hmip_stand_in__ = True
    stand_in.is_valid_syntax = is_valid_syntax
    stand_in.__getattr__ = _other_name
    sys.modules[_NAME] = stand_in
    return True
