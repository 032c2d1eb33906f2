"""Type stubs of the private compiled module wbe._core (use the `wbe` package)."""
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class InputError(ValueError):
    file: str
    line: int
    column: int
    diagnostics: list[str]

class ConfigError(ValueError):
    file: str
    line: int
    column: int
    diagnostics: list[str]

class StoreError(OSError): ...
class NumericalError(ValueError): ...

_Path = str | os.PathLike[str]

def tables(path: _Path) -> list[str]: ...
def read_table(path: _Path, name: str) -> dict[str, np.ndarray]: ...
def store_tables() -> list[str]: ...
def ingest(
    config: _Path, store: _Path | None = None, batches: Sequence[_Path] | None = None, zero_means_below_loq: bool = False
) -> dict[str, Any]: ...
def estimate(config: _Path, store: _Path | None = None) -> dict[str, Any]: ...
def flag(config: _Path, store: _Path | None = None) -> dict[str, Any]: ...
def run(
    config: _Path, store: _Path | None = None, batches: Sequence[_Path] | None = None, zero_means_below_loq: bool = False
) -> dict[str, Any]: ...
def back_calculate(
    conc: npt.ArrayLike,
    flow: npt.ArrayLike,
    population: npt.ArrayLike,
    cf: float,
    dose_mg: float = ...,
    sorbed_fraction: float = 0.0,
    in_sewer_factor: float = 1.0,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
