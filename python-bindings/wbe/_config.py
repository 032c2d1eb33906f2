"""A run config given as a Python dict.

The dict is written as YAML text, one key or list item per line, and the engine reads that text
with the same reader as a config file (``load_run_config_text``): the same keys, rules and
messages. Every line remembers the key path it holds, so an error the engine reports at a line and
column of the text is raised again naming the key path in the dict (``uncertainty.draws``,
``thresholds.thresholds[0].watch``) with ``file``, ``line`` and ``column`` None.

Scalars become YAML text as a file would hold them: str double-quoted (any text stays text),
True/False ``true``/``false``, None ``null``, numbers by ``repr`` (``.inf``, ``.nan`` for the
non-finite), ``os.PathLike`` as its path.
"""
from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import _core

#: The name of a dict config in the engine's messages (and the run record's config name).
SOURCE = "<config dict>"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        # One entry per line: (path of the key or item on it, path of its parent, the key's
        # column, the value's column), columns 1-based as the engine reports them.
        self.where: list[tuple[str, str, int, int]] = []

    def scalar(self, value: Any, path: str) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, numbers.Integral):
            return str(int(value))
        if isinstance(value, numbers.Real):
            x = float(value)
            if math.isnan(x):
                return ".nan"
            if math.isinf(x):
                return ".inf" if x > 0 else "-.inf"
            return repr(x)
        raise _error(path, type(value).__name__,
                     "a config value must be a mapping, a list, a str, a number, a bool or None")

    def node(self, value: Any, path: str, parent: str, indent: int, lead: str) -> None:
        """Writes `value` after `lead` (``"key": `` or ``- ``) at `indent` spaces."""
        pad = " " * indent
        key_col = indent + 1
        if isinstance(value, Mapping) and value:
            self._line(pad + lead.rstrip(), path, parent, key_col, key_col)
            for k, v in value.items():
                self._entry(k, v, path, indent + 2)
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and value:
            self._line(pad + lead.rstrip(), path, parent, key_col, key_col)
            for i, v in enumerate(value):
                self._item(v, f"{path}[{i}]", path, indent + 2)
        elif isinstance(value, Mapping):
            self._line(pad + lead + "{}", path, parent, key_col, key_col + len(lead))
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            self._line(pad + lead + "[]", path, parent, key_col, key_col + len(lead))
        else:
            self._line(pad + lead + self.scalar(value, path), path, parent, key_col, key_col + len(lead))

    def _entry(self, key: Any, value: Any, parent: str, indent: int) -> None:
        if isinstance(key, bool) or not isinstance(key, (str, numbers.Integral)):
            raise _error(parent or "<top>", repr(key), "a config key must be a str")
        name = str(key)
        path = f"{parent}.{name}" if parent else name
        self.node(value, path, parent, indent, json.dumps(name, ensure_ascii=False) + ": ")

    def _item(self, value: Any, path: str, parent: str, indent: int) -> None:
        pad = " " * indent
        if isinstance(value, Mapping) and value:
            # "- " then the mapping's keys one per line, indented under the dash.
            self._line(pad + "-", path, parent, indent + 1, indent + 1)
            for k, v in value.items():
                self._entry(k, v, path, indent + 2)
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and value:
            self._line(pad + "-", path, parent, indent + 1, indent + 1)
            for i, v in enumerate(value):
                self._item(v, f"{path}[{i}]", path, indent + 2)
        else:
            self.node(value, path, parent, indent, "- ")

    def _line(self, text: str, path: str, parent: str, key_col: int, value_col: int) -> None:
        self.lines.append(text)
        self.where.append((path, parent, key_col, value_col))


def _error(path: str, value: str, rule: str) -> Exception:
    e = _core.ConfigError(f"config dict at {path}: {value}: {rule}")
    e.file = e.line = e.column = None
    e.key, e.value, e.rule = path, value, rule
    e.diagnostics = [str(e)]
    return e


class DictConfig:
    """A dict written as YAML text, with the key path of every line."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise TypeError(f"a config is a path or a dict, not {type(config).__name__}")
        w = _Writer()
        for k, v in config.items():
            w._entry(k, v, "", 0)
        self.text = "\n".join(w.lines) + "\n"
        self._where = w.where

    def key_path(self, line: int | None, column: int | None, key: str) -> str:
        """The key path of the node the engine reported at (line, column) about `key`."""
        if not line or line > len(self._where):
            return "<top>"
        path, parent, key_col, value_col = self._where[line - 1]
        # A mapping starts where its first key starts: a problem about another key at that
        # position (a required key missing, a rule between keys) is the mapping's.
        if column == key_col and path.rsplit(".", 1)[-1] != key:
            return parent or "<top>"
        return path

    def reraise(self, e: Exception) -> None:
        """Raises `e` (a ConfigError of the engine about this text) again naming the key path;
        returns when `e` is about another file (a thresholds or sites file the dict names)."""
        if getattr(e, "file", None) != SOURCE:
            return
        path = self.key_path(e.line, e.column, getattr(e, "key", ""))
        value = e.value if e.value else '""'
        shown = f"{e.key} = {value}: " if getattr(e, "key", "") else ""
        new = _core.ConfigError(f"config dict at {path}: {shown}{e.rule}")
        new.file = new.line = new.column = None
        new.key, new.value, new.rule = path, e.value, e.rule
        new.diagnostics = [str(new)]
        raise new from None
