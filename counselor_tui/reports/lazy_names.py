"""Names of a third-party package resolved on first use (issue 18: TUI memory).

The document writers (python-docx, which brings lxml) are imported with the services the
interface starts with, but a document is written rarely: importing python-docx costs about
15 MB of memory and 0.2 s at every start. A :class:`LazyName` stands for one name of a
python-docx module (a class, a function, an enumeration) and imports python-docx the first
time it is called or an attribute of it is read; the value it gives is the real one (``Pt(12)`` is
python-docx's ``Length``, ``WD_BREAK.PAGE`` its enumeration member).

Only for names that are called or whose attributes are read: an object passed on as it
is (to ``isinstance``, or to a python-docx setter) must be :meth:`LazyName.resolve`\\ d.
"""

from __future__ import annotations

import sys
from typing import Any

_UNSET: Any = object()


def _load_docx() -> None:
    """Import python-docx and the parts of it the writers name (plain imports, issue 10)."""
    import docx
    import docx.enum.section
    import docx.enum.table
    import docx.enum.text
    import docx.oxml
    import docx.oxml.ns
    import docx.shared  # noqa: F401


class LazyName:
    """``name`` of module ``module``, imported on first use (see the module docstring)."""

    __slots__ = ("_module", "_name", "_value")

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._value: Any = _UNSET

    def resolve(self) -> Any:
        """The real object (imports python-docx the first time)."""
        if self._value is _UNSET:
            _load_docx()
            self._value = getattr(sys.modules[self._module], self._name)
        return self._value

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.resolve(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyName({self._module}.{self._name})"
