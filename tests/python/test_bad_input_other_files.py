"""The bad-input catalogue for the other files lab staff and analysts edit (issue 8): flows and
water-quality CSV, the sites YAML, the run config and its uncertainty section, and the thresholds
YAML. Each kind gets its exact message (file, line, column, field, value and rule), exit code 1,
and an unchanged store. The assay-batch CSV has its own catalogue (test_bad_input_catalogue.py).

Each case copies the example inputs into a temporary folder, spoils one file and runs
`wbe ingest` (or `wbe estimate` / `wbe flag` for what those stages read) on a copy of a store
that already holds the example. The messages were read off the engine when the catalogue was made
and checked by hand against the spoiled text.
"""
import pathlib
import shutil
import subprocess

import pytest

from conftest import CLI, ROOT, run_cli

FLOWS = "site_id,date,flow,unit\nLS-WWTP-01,2022-02-14,36642,m3/d\n"
WQ = "site_id,date,parameter,value,unit\nLS-WWTP-01,2022-02-14,NH4-N,34.6,mg/L\n"
SITE = """city: Lanshui
sites:
  - id: LS-WWTP-01
    name: Eastbank Water Reclamation Plant
    kind: wwtp
    district: Dongpan
    population: 160000
"""

CONFIG = (ROOT / "config" / "example.yaml").read_text()
THRESHOLDS = (ROOT / "config" / "thresholds.yaml").read_text()
ANALYSIS = "analysis:   {family: lognormal, rsd: 0.15}"


def at(text, needle, skip=0):
    """':line:column' (1-based) of needle in text, `skip` characters on: the position the engine
    must report."""
    i = text.index(needle) + skip
    return f":{text.count(chr(10), 0, i) + 1}:{i - text.rfind(chr(10), 0, i)}"


def spoil(old, new):
    """The example config with `old` replaced by `new`."""
    return CONFIG.replace(old, new)

# name: (file to spoil, relative to the work folder; its new text; the first problem reported
# after the file name)
CASES = {
    # flows
    "flows_negative": ("data/example/flows.csv", FLOWS.replace("36642", "-5"),
                       ":2:3: flow = -5: flow must be > 0"),
    "flows_unknown_unit": ("data/example/flows.csv", FLOWS.replace("m3/d", "gal/d"),
                           ":2:4: unit = gal/d: unit must be m3/d, L/d or 1e4 m3/d"),
    "flows_bad_date": ("data/example/flows.csv", FLOWS.replace("2022-02-14", "2022-13-01"),
                       ":2:2: date = 2022-13-01: date must be a calendar date written YYYY-MM-DD"),
    "flows_unknown_site": ("data/example/flows.csv", FLOWS.replace("LS-WWTP-01", "NOWHERE"),
                           ":2:1: site_id = NOWHERE: unknown site (not in the sites table)"),
    "flows_duplicate_day": ("data/example/flows.csv", FLOWS + "LS-WWTP-01,2022-02-14,36000,m3/d\n",
                            ":3:2: date = 2022-02-14: duplicate flow: the same site and date are on line 2"),
    "flows_missing_column": ("data/example/flows.csv", FLOWS.replace(",unit", "").replace(",m3/d", ""),
                             ":1: column = unit: required column is missing"),
    # water quality
    "wq_unknown_parameter": ("data/example/water_quality.csv", WQ.replace("NH4-N", "NO3-N"),
                             ":2:3: parameter = NO3-N: parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP"),
    "wq_negative": ("data/example/water_quality.csv", WQ.replace("34.6", "-1"),
                    ":2:4: value = -1: value must be > 0"),
    "wq_unit": ("data/example/water_quality.csv", WQ.replace("mg/L", "ppm"),
                ":2:5: unit = ppm: unit must be mg/L (or g/m3)"),
    # sites
    "sites_negative_population": ("data/example/sites.yaml", SITE.replace("160000", "-160000"),
                                  ":7:17: population = -160000: a treatment plant needs a population > 0"),
    "sites_unknown_key": ("data/example/sites.yaml", SITE + "    colour: red\n",
                          ':8:5: colour = "": unknown key in site (allowed: id, name, kind, venue_type, district, towns, '
                          'population, population_rsd, population_method, residence_time_h, smoking_rate, domestic_fraction)'),
    "sites_bad_kind": ("data/example/sites.yaml", SITE.replace("kind: wwtp", "kind: lake"),
                       ":5:11: kind = lake: kind must be wwtp or venue"),
    "sites_duplicate_id": ("data/example/sites.yaml", SITE + SITE.split("sites:\n")[1],
                           ":8:9: id = LS-WWTP-01: duplicate site id"),
    "sites_yaml_syntax": ("data/example/sites.yaml", SITE.replace("    kind: wwtp", "  kind: [wwtp"),
                          ":5:3: YAML syntax error: end of map not found"),
    # the run config and its uncertainty section
    "config_unknown_key": ("config/example.yaml", CONFIG + "colour: red\n",
                           at(CONFIG + "colour: red\n", "colour") + ': colour = "": unknown key in run config (allowed: name, city, store, inputs, models, censoring, '
                           'campaign, corrections, thresholds, uncertainty, composites, population, venues)'),
    "config_negative_rsd": ("config/example.yaml", spoil(ANALYSIS, "analysis:   {family: lognormal, rsd: -0.15}"),
                            at(spoil(ANALYSIS, "analysis:   {family: lognormal, rsd: -0.15}"), "-0.15") + ": rsd = -0.15: rsd must be a finite number >= 0"),
    "config_lower_above_upper": ("config/example.yaml",
                                 spoil(ANALYSIS, "analysis:   {family: uniform, low: 1.2, high: 0.8}"),
                                 at(spoil(ANALYSIS, "analysis:   {family: uniform, low: 1.2, high: 0.8}"), "1.2") + ": low = 1.2: low must be <= high"),
    "config_unknown_family": ("config/example.yaml", spoil(ANALYSIS, "analysis:   {family: gamma, rsd: 0.15}"),
                              at(spoil(ANALYSIS, "analysis:   {family: gamma, rsd: 0.15}"), "gamma") + ": family = gamma: family must be fixed, normal, lognormal, uniform or triangular"),
    "config_zero_draws": ("config/example.yaml", spoil("draws: 10000", "draws: 0"),
                          at(spoil("draws: 10000", "draws: 0"), "draws: 0", skip=7) + ": draws = 0: draws must be a whole number from 1 to 1e9"),
    # thresholds
    "thresholds_unknown_key": ("config/thresholds.yaml", THRESHOLDS + "colour: red\n",
                               at(THRESHOLDS + "colour: red\n", "colour") + ': colour = "": unknown key in thresholds (allowed: thresholds, ratios, detectors)'),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A store holding the example, and the example's inputs in a folder of their own."""
    d = tmp_path_factory.mktemp("other")
    shutil.copytree(ROOT / "data" / "example", d / "data" / "example")
    shutil.copytree(ROOT / "config", d / "config")
    cfg = (d / "config" / "example.yaml").read_text()
    cfg = cfg.replace("store: ../out/example.h5", "store: ../base.h5").replace("dir: ../models", f"dir: {ROOT / 'models'}")
    (d / "config" / "example.yaml").write_text(cfg)
    run_cli("run", "-c", d / "config" / "example.yaml")
    return d


def test_the_catalogue_covers_20_kinds_beyond_the_batches():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_reported_exactly_and_changes_nothing(name, base, tmp_path):
    shutil.copytree(base, tmp_path / "w")
    w = tmp_path / "w"
    spoiled, text, want = CASES[name]
    (w / spoiled).write_text(text)
    before = (w / "base.h5").read_bytes()
    proc = subprocess.run([str(CLI), "ingest", "-c", "config/example.yaml"], cwd=w, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("wbe: bad "), proc.stderr
    assert lines[1] == "  " + spoiled + want, proc.stderr
    assert (w / "base.h5").read_bytes() == before
