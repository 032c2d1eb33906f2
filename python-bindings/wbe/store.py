"""Reading a wbe store (one HDF5 file per programme) as pandas DataFrames or numpy record arrays."""
from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from . import _core

if TYPE_CHECKING:
    import pandas

    Table = Union[pandas.DataFrame, np.recarray]


def _pandas() -> Any:
    """pandas if it can be imported, else None (tables then come as numpy record arrays)."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        return None


class Store:
    """A wbe store file. Opening checks that it is a readable store; every read goes to the file,
    so a store rewritten by ``wbe.run`` or the CLI is seen at the next read."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        _core.tables(self.path)  # raises StoreError (an OSError) for a missing or foreign file

    def __repr__(self) -> str:
        return f"wbe.Store({self.path!r})"

    @property
    def tables(self) -> list[str]:
        """Names of the tables the store holds, in file order."""
        return _core.tables(self.path)

    def columns(self, name: str) -> dict[str, np.ndarray]:
        """Table ``name`` as ``{column: numpy array}`` in stored order: float64, int64, or object
        arrays of str."""
        return _core.read_table(self.path, name)

    def read(self, name: str) -> Table:
        """Table ``name`` as a pandas DataFrame (the same as ``pandas.read_hdf(path, name)``), or as
        a numpy record array when pandas is not installed. Raises StoreError for an unknown
        table."""
        return _frame(self.columns(name))

    def series(self, site: str, drug: str) -> Table:
        """The campaign series of one site and drug (rows of ``estimates_campaign`` with scope
        ``site``, matching ``drug`` as drug name or analyte), sorted by campaign. Raises KeyError
        when the store has no such series."""
        cols = self.columns("estimates_campaign")
        keep = (cols["scope"] == "site") & (cols["id"] == site) & ((cols["drug"] == drug) | (cols["analyte"] == drug))
        if not keep.any():
            raise KeyError(f"{self.path}: no campaign series for site {site!r} and drug {drug!r} "
                           "(see the `id`, `drug` and `analyte` columns of estimates_campaign)")
        rows = sorted(np.flatnonzero(keep), key=lambda i: (cols["campaign"][i], cols["analyte"][i]))
        return _frame({k: v[rows] for k, v in cols.items()})


    def history(self, batch_id: str) -> Table:
        """The lineage of batch ``batch_id`` (as ``wbe history``): every stored version, oldest
        first, with ``status`` (``active`` or ``superseded``), ``content_hash``, ``source``,
        ``ingested_at``, ``user``, ``results`` (rows it holds), ``reason`` (why it replaced the
        version before it), ``superseded_at`` and ``superseded_by`` (the content hash of its
        successor). No rows when the store has no such batch."""
        return _frame(_core.batch_history(self.path, batch_id))


def open_store(path: str | os.PathLike[str]) -> Store:
    """Opens the store at ``path``; raises StoreError (an OSError) when there is no readable store."""
    return Store(path)


def _frame(cols: dict[str, np.ndarray]) -> Table:
    pd = _pandas()
    if pd is not None:
        return pd.DataFrame(cols)
    if not cols:
        return np.recarray((0,), dtype=[])
    return np.rec.fromarrays(list(cols.values()), names=list(cols))
