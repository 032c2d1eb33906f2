"""Type stubs of the private compiled module wbe._core (use the `wbe` package)."""
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class InputError(ValueError):
    file: str | None
    line: int | None
    column: int | None
    diagnostics: list[str]

class ConfigError(ValueError):
    file: str | None  # None for a config dict or a parameter dict
    line: int | None
    column: int | None
    key: str  # the key; for a config dict its path, e.g. "uncertainty.draws"
    value: str
    rule: str
    diagnostics: list[str]

class StoreError(OSError): ...
class NumericalError(ValueError): ...

_Path = str | os.PathLike[str]

def tables(path: _Path) -> list[str]: ...
def read_table(path: _Path, name: str) -> dict[str, np.ndarray]: ...
def store_tables() -> list[str]: ...
def batch_history(path: _Path, batch_id: str) -> dict[str, np.ndarray]: ...
def migrate(path: _Path) -> dict[str, Any]: ...
def ingest(
    config: _Path | None = None,
    store: _Path | None = None,
    batches: Sequence[_Path] | None = None,
    zero_means_below_loq: bool = False,
    supersede: bool = False,
    reason: str = "",
    config_text: str | None = None,
    source: str = "<config text>",
    base_dir: _Path | None = None,
) -> dict[str, Any]: ...
def estimate(
    config: _Path | None = None,
    store: _Path | None = None,
    config_text: str | None = None,
    source: str = "<config text>",
    base_dir: _Path | None = None,
) -> dict[str, Any]: ...
def flag(
    config: _Path | None = None,
    store: _Path | None = None,
    config_text: str | None = None,
    source: str = "<config text>",
    base_dir: _Path | None = None,
) -> dict[str, Any]: ...
def run(
    config: _Path | None = None,
    store: _Path | None = None,
    batches: Sequence[_Path] | None = None,
    zero_means_below_loq: bool = False,
    config_text: str | None = None,
    source: str = "<config text>",
    base_dir: _Path | None = None,
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
def monte_carlo(
    conc: npt.ArrayLike,
    flow: npt.ArrayLike,
    population: npt.ArrayLike,
    cf: float,
    site: npt.NDArray[np.int64] | None,
    site_names: Sequence[str],
    campaign: npt.NDArray[np.int64] | None,
    campaign_names: Sequence[str],
    sample_names: Sequence[str] | None = None,
    drug: str = "drug",
    qualifier: npt.NDArray[np.int64] | None = None,
    qualifier_names: Sequence[str] | None = None,
    lod: npt.ArrayLike | None = None,
    loq: npt.ArrayLike | None = None,
    below_lod: str = "lod_half",
    below_loq: str = "loq_half",
    uncertainty: dict[str, Any] = ...,
    sorbed_fraction: float = 0.0,
    in_sewer_factor: float = 1.0,
    aggregates: Sequence[tuple[str, Sequence[int]]] = ...,
    thresholds: Sequence[float] = ...,
    draws: int = 10000,
    seed: int = 20241130,
    interval: float = 0.95,
    quantiles: Sequence[float] = ...,
    threads: int = 0,
    censored: str = "uniform",
    daily: bool = True,
    method: str = "monte_carlo",
) -> dict[str, Any]: ...
def detect(
    name: str,
    values: npt.ArrayLike,
    labels: Sequence[str] | None = None,
    quarters: npt.NDArray[np.int64] | None = None,
    lower: npt.ArrayLike | None = None,
    upper: npt.ArrayLike | None = None,
    censored: npt.ArrayLike | None = None,
    params: dict[str, Any] = ...,
    sites: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    explain: str = "all",
) -> dict[str, Any]: ...
def detector_registry() -> list[dict[str, Any]]: ...
def kaplan_meier(
    values: npt.ArrayLike,
    censored: npt.ArrayLike,
    limits: npt.ArrayLike | None = None,
    restricted: bool = False,
    confidence_level: float = 0.95,
    correct_se: bool = True,
) -> dict[str, Any]: ...
def robust_ros(
    values: npt.ArrayLike,
    censored: npt.ArrayLike,
    limits: npt.ArrayLike | None = None,
    max_censored_share: float = 0.8,
    min_detects: int = 2,
    substitution_fraction: float = 0.5,
    drop_censored_above_max_detect: bool = True,
    plotting_position: float = 0.0,
    censored_positions: str = "sorted_by_limit",
) -> dict[str, Any]: ...
def lognormal_mle(
    values: npt.ArrayLike,
    censored: npt.ArrayLike,
    limits: npt.ArrayLike | None = None,
    max_iterations: int = 200,
    tolerance: float = 1e-10,
) -> dict[str, Any]: ...
def censored_summary(
    values: npt.ArrayLike,
    censored: npt.ArrayLike,
    limits: npt.ArrayLike | None = None,
    moderate_max_share: float = 0.5,
    high_max_share: float = 0.8,
    moderate_method: str = "kaplan_meier",
    high_method: str = "robust_ros",
    confidence_level: float = 0.95,
) -> dict[str, Any]: ...
