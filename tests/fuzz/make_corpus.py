#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
project's own files: excerpts of data/example, config/*.yaml, models/*.yaml, the frozen stores of
tests/compat, and a few small hand-written cases per reader (the bad-input catalogue's kinds among
them). Run it again after a format change; the seeds are small (a few KB) except the stores.

    /usr/bin/python3 tests/fuzz/make_corpus.py [--cli build/bin/wbe]

The store corpus holds the frozen stores of tests/compat and three damaged ones (h5py). With
--cli, it also gets two stores of the current schema written by that wbe: an empty one
(`wbe init`) and the example city trimmed to a few rows (`wbe run`). The seeds of store_content
are not files but steering bytes: they are the merged corpus of a fuzzing run (`-merge=1`), not
written here.
"""
import argparse
import pathlib
import shutil
import subprocess
import tempfile

import h5py

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
EX = ROOT / "data" / "example"


def head(path, lines):
    with open(path, encoding="utf-8") as f:
        return "".join(f.readline() for _ in range(lines))


def write(target, name, content):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


# ---- assay batches --------------------------------------------------------------------------
H = "batch_id,sample_id,site_id,sample_date,analyte,value,unit,qualifier,lod,loq,method_id,lab_id,sample_type"


def row(**kw):
    d = dict(batch_id="B-X", sample_id="S-1", site_id="LS-WWTP-01", sample_date="2024-02-14", analyte="methamphetamine",
             value="143", unit="ng/L", qualifier="", lod="0.5", loq="1.5", method_id="M", lab_id="L",
             sample_type="composite_24h")
    d.update(kw)
    return ",".join(d[k] for k in H.split(","))


def assay():
    t = "assay_csv"
    write(t, "example_2022Q1_head.csv", head(EX / "batches" / "2022Q1.csv", 40))
    write(t, "bad_batch.csv", (EX / "bad_batch.csv").read_text(encoding="utf-8"))
    cases = {
        "bom_crlf": "\ufeff" + H + "\r\n" + row() + "\r\n",
        "utf16": (H + "\n" + row() + "\n").encode("utf-16"),
        "latin1": (H + "\n" + row(lab_id="L\xe9") + "\n").encode("latin-1"),
        "nul_byte": H + "\n" + row(lab_id="L\x00L") + "\n",
        "quoted_notes": H + ",notes\n" + row() + ',"rain, heavy\nsecond ""line"""\n',
        "unterminated_quote": H + "\n" + row(lab_id='"L') + "\n",
        "text_after_quote": H + "\n" + row(lab_id='"L"x') + "\n",
        "censored_forms": "\n".join([H + ",recovery_pct,notes",
                                     row(sample_id="S-1", value="<0.5") + ",95,",
                                     row(sample_id="S-1", analyte="ketamine", value="ND", qualifier="<LOD") + ",,",
                                     row(sample_id="S-1", analyte="mdma", value="", qualifier="<LOQ") + ",,",
                                     row(sample_id="S-1", analyte="cotinine", value="9000", qualifier=">ULOQ") + ",,",
                                     row(sample_id="S-2", analyte="morphine", value="0", lod="", loq="1") + ",250,x",
                                     row(sample_id="S-3", value="1.2", unit="ug/L", lod="0.0005", loq="0.0015") + ",,"]) + "\n",
        "numbers": "\n".join([H] + [row(sample_id=f"S-{i}", value=v) for i, v in
                                    enumerate(["1e400", "NaN", "inf", "-3", "+7", " 12 ", "0x10", "1.5e-3", '"1,5"'])]) + "\n",
        "dates": "\n".join([H] + [row(sample_id=f"S-{i}", sample_date=d) for i, d in
                                  enumerate(["2024-02-30", "0000-01-01", "99999-01-01", "14/02/2024", "2024-2-1", "2199-12-31"])]) + "\n",
        "ids": "\n".join([H, row(batch_id=""), row(batch_id="B-Y", sample_id="S-2"), row(site_id="NOWHERE", sample_id="S-3"),
                          row(site_id="LS-V-09", sample_id="S-4", sample_type="grab"), row(sample_id="X" * 70),
                          row(), row(sample_id="S-1", sample_date="2024-02-15", analyte="ketamine")]) + "\n",
        "header_problems": H.replace(",unit", "") + ",unit,colour,unit\n" + row() + ",red,ng/L\n",
        "short_rows": H + "\n" + ",".join(row().split(",")[:-2]) + "\n" + row() + ",extra,\n\n\n",
        "header_only": H + "\n",
        "empty": "",
    }
    for name, text in cases.items():
        write(t, name + ".csv", text)


# ---- flows and water quality ----------------------------------------------------------------
def flows():
    t = "flows_csv"
    write(t, "example_head.csv", head(EX / "flows.csv", 30))
    write(t, "units_notes.csv", "site_id,date,flow,unit,notes\r\n"
          "LS-WWTP-01,2024-01-01,36642,m3/d,\r\n"
          "LS-WWTP-01,2024-01-02,36642000,L/d,\"meter, recalibrated\"\r\n"
          "LS-WWTP-02,2024-01-01,3.7,1e4 m3/d,\r\n"
          "LS-WWTP-03,2024-01-01,3.7,10^4 m3/day,\r\n")
    write(t, "bad_rows.csv", "\ufeffsite_id,date,flow,unit\n"
          "LS-WWTP-01,2024-01-01,-5,m3/d\n"
          "LS-WWTP-01,2024-01-01,5,m3/d\n"
          "LS-WWTP-01,2024-01-01,6,m3/d\n"
          "LS-V-09,2024-01-01,5,m3/d\n"
          "NOWHERE,2024-13-01,inf,gal/d\n"
          "LS-WWTP-02,2024-01-02,1e308,1e4m3/d\n"
          ",,,\n"
          "LS-WWTP-02\n")


def water_quality():
    t = "water_quality_csv"
    write(t, "example_head.csv", head(EX / "water_quality.csv", 30))
    write(t, "parameters.csv", "site_id,date,parameter,value,unit,notes\n"
          "LS-WWTP-01,2024-01-01,NH4-N,34.6,mg/L,\n"
          "LS-WWTP-01,2024-01-01,nh4_n,34.6,mg/L,\n"
          "LS-WWTP-01,2024-01-02,COD,410,g/m3,\n"
          "LS-WWTP-01,2024-01-02,BOD5,180,mg/l,\"lab, late\"\n"
          "LS-WWTP-02,2024-01-02,TKN,45,mg/L,\n"
          "LS-WWTP-02,2024-01-02,TN,50,mg/L,\n"
          "LS-WWTP-02,2024-01-02,TP,5.1,mg/L,\n")
    write(t, "bad_rows.csv", "site_id,date,parameter,value,unit\r\n"
          "LS-WWTP-01,2024-01-01,pH,7,mg/L\r\n"
          "LS-V-01,2024-01-01,COD,-1,mg/L\r\n"
          "LS-WWTP-01,2024-02-30,COD,NaN,ug/L\r\n"
          "LS-WWTP-01,2024-01-01,NH4-N,1,mg/L,extra\r\n")


# ---- sites ----------------------------------------------------------------------------------
def sites():
    t = "sites_yaml"
    write(t, "example.yaml", (EX / "sites.yaml").read_text(encoding="utf-8"))
    write(t, "flow_style.yaml", "city: X\nsmoking_rate: 2.5\nsites:\n"
          "  - {id: P-1, kind: wwtp, population: 1000, population_rsd: 0.1, towns: A, domestic_fraction: 0.9}\n"
          "  - {id: V-1, kind: venue, venue_type: club, smoking_rate: 4, residence_time_h: 2}\n")
    write(t, "anchors.yaml", "defaults: &d {kind: wwtp, population: 5e4}\n"
          "sites:\n  - <<: *d\n    id: P-1\n  - &v {id: V-1, kind: venue, venue_type: hotel}\n  - *v\n")
    write(t, "bad.yaml", "sites:\n  - {id: P-1, kind: plant}\n  - {id: P-2, kind: wwtp, population: -1}\n"
          "  - {id: P-2, kind: wwtp, population: .inf}\n  - {id: V-1, kind: venue}\n  - [not, a, map]\n")
    write(t, "not_a_list.yaml", "city: [a, b]\nsmoking_rate: no\nsites: {id: P-1}\n")


# ---- run configs and thresholds -------------------------------------------------------------
def configs():
    t = "run_config_yaml"
    for name in ("example.yaml", "example-sensitive.yaml", "example-population.yaml"):
        write(t, name, (ROOT / "config" / name).read_text(encoding="utf-8"))
    write(t, "small_inline_rules.yaml", "store: ../out/x.h5\nmodels: {dir: ../models, set: europe}\n"
          "censoring: {policy: loq_sqrt2}\ncampaign: {period: month}\n"
          "uncertainty:\n  method: analytic\n  threads: 2\n  censored: substitute\n  from_inputs: yes\n"
          "  overrides:\n    - {drug: ketamine, analysis: {family: triangular, low: 0.8, mode: 1, high: 1.3}}\n"
          "    - {method_id: M-1, analysis: {family: uniform, low: 0.9, high: 1.1}}\n"
          "    - {site: P-1, flow: {family: normal, rsd: 0.2}, excretion: {family: fixed}}\n"
          "venues: {screening_index: false}\n"
          "composites:\n  - {name: idx, method: relative, base_year: 2022, drugs: {ketamine: 2, mdma: 0.5}}\n"
          "  - {name: idx, drugs: {}}\n"
          "thresholds:\n  thresholds: [{drug: idx, metric: index, watch: 1}]\n"
          "  ratios: [{numerator: ketamine, denominator: norketamine, above: 20, level: alert}]\n"
          "  detectors: {defaults: {ewma: {}, cusum: on}, sites: {P-1: {ewma: off}}}\n")
    write(t, "population.yaml", "store: s.h5\nmodels: {dir: ../models}\ninputs: {zero_means_below_loq: true, batches: ../data/example/batches}\n"
          "population:\n  estimators: [hydrochemical, cotinine]\n  parameters: [COD, TP]\n"
          "  calibration: {from: 2022-12-31, to: 2022-01-01}\n  check_factor: 0\n  constants: ../models/population/constants.yaml\n")
    write(t, "bad.yaml", "store: [x]\nmodels: {dir: ../models, colour: red}\nuncertainty: {draws: 1.5, seed: -1, interval: 1}\n")
    t = "thresholds_yaml"
    for name in ("thresholds.yaml", "thresholds-sensitive.yaml"):
        write(t, name, (ROOT / "config" / name).read_text(encoding="utf-8"))
    write(t, "detectors.yaml", "detectors:\n  defaults:\n    ears: {variant: C3}\n    percentile_level: {}\n"
          "    mann_kendall: yes\n  drugs:\n    ketamine: {change: {}, sen_slope: {}, cusum: {k: 0.5, h: 4}}\n"
          "  site_kinds: {wwtp: {ewma: {lambda: 0.3}}, plant: {}}\n  sites: {LS-V-01: {trend: on}}\n")
    write(t, "bad.yaml", "thresholds:\n  - {drug: ketamine, metric: volume, watch: 5}\n  - {drug: ketamine, metric: load}\n"
          "  - {drug: nothing, metric: load, watch: 5, alert: 1}\nratios: {numerator: a}\n"
          "detectors: {defaults: {no_such_detector: {}}, drugs: {ketamine: {trend: {watch_p: 2}}}}\n")


# ---- model library --------------------------------------------------------------------------
def models():
    t = "model_library_yaml"
    for name in ("methamphetamine", "morphine", "ketamine", "cotinine", "six_mam", "thc_cooh"):
        write(t, name + ".yaml", (ROOT / "models" / (name + ".yaml")).read_text(encoding="utf-8"))
    write(t, "set_europe.yaml", "# set (tests/fuzz/fuzz_model_library_yaml.cpp)\n" +
          (ROOT / "models" / "sets" / "europe.yaml").read_text(encoding="utf-8"))
    write(t, "set_overrides.yaml", "# set\nset: europe\noverrides:\n"
          "  ketamine: {molecular_weight: {value: 237.7, unit: g/mol, source: s, evidence: confirmed},"
          " drug.dose: {value: 50, unit: mg, source: s, evidence: unconfirmed}}\n"
          "  amphetamine: {sorption_fraction: {value: 0.1, rsd: 0.5, unit: '1', source: s, evidence: confirmed}}\n"
          "  nothing: {}\n")
    write(t, "constants.yaml", "# constants (tests/fuzz/fuzz_model_library_yaml.cpp)\n" +
          (ROOT / "models" / "population" / "constants.yaml").read_text(encoding="utf-8"))
    write(t, "constants_list_key.yaml", "# constants\nper_capita_loads:\n  [COD, TP]: {value: 1, rsd: 0.1, unit: g/person/day,"
          " source: s, evidence: confirmed}\ncotinine: {mg_per_cigarette: 3}\n")
    write(t, "bad_residue.yaml", "residue: methamphetamine\nname: M\naliases: [meth, METH]\n"
          "molecular_weight: {value: 0, unit: g/mol, source: '', evidence: maybe}\n"
          "drug: {name: d, molecular_weight: {value: 1, unit: g, source: s, evidence: confirmed},"
          " excretion_fraction: {value: 2, unit: '1', source: s, evidence: confirmed},"
          " correction_factor: {value: 2, unit: '1', source: s, evidence: confirmed}}\n")


# ---- stores ---------------------------------------------------------------------------------
def stores(cli):
    t = "store"
    for f in sorted((ROOT / "tests" / "compat").glob("store_v*.h5")):
        write(t, f.name, f.read_bytes())
    # The damaged stores of the findings (tests/fuzz/README.md): a 2-D table, a table that claims
    # 2^40 rows in a few bytes, and a column outside its row.
    with tempfile.TemporaryDirectory() as tmp:
        for name, shape in (("table_2d.h5", (3, 4)), ("rows_2e40.h5", (2 ** 40,))):
            path = pathlib.Path(tmp) / name
            shutil.copy(ROOT / "tests" / "compat" / "store_v2.h5", path)
            with h5py.File(path, "a") as h:
                dtype = h["flags"].dtype
                del h["flags"]
                h.create_dataset("flags", shape=shape, maxshape=(None,) * len(shape), chunks=(1,) * len(shape), dtype=dtype)
            write(t, name, path.read_bytes())
    # HDF5 does not check that a compound member lies inside its row: runs.n_daily moved past it.
    data = bytearray((ROOT / "tests" / "compat" / "store_v2.h5").read_bytes())
    at = data.find(b"n_daily\0")
    data[at + 8:at + 12] = (4000).to_bytes(4, "little")
    write(t, "member_outside_row.h5", bytes(data))
    if not cli:
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        subprocess.run([cli, "init", tmp / "empty.h5"], check=True, capture_output=True)
        with h5py.File(tmp / "empty.h5", "r") as h:
            version = int(h.attrs["schema_version"])
        write(t, f"store_v{version}_empty.h5", (tmp / "empty.h5").read_bytes())
        # The example city cut to one plant, one venue and a few rows of each input.
        batch = head(EX / "batches" / "2022Q1.csv", 1) + "".join(
            line for line in open(EX / "batches" / "2022Q1.csv", encoding="utf-8")
            if line.startswith("LS-2022Q1,LS-2022Q1-WWTP01-D1,") or line.startswith("LS-2022Q1,LS-2022Q1-V09-"))
        (tmp / "b.csv").write_text(batch, encoding="utf-8")
        (tmp / "flows.csv").write_text(head(EX / "flows.csv", 8), encoding="utf-8")
        (tmp / "sites.yaml").write_text("city: Tiny\nsites:\n"
                                        "  - {id: LS-WWTP-01, kind: wwtp, population: 160000, population_rsd: 0.1}\n"
                                        "  - {id: LS-V-09, kind: venue, venue_type: karaoke}\n", encoding="utf-8")
        (tmp / "thresholds.yaml").write_text((ROOT / "config" / "thresholds.yaml").read_text(encoding="utf-8"))
        (tmp / "c.yaml").write_text(f"store: small.h5\ninputs: {{sites: sites.yaml, flows: [flows.csv], batches: [b.csv]}}\n"
                                    f"models: {{dir: {ROOT / 'models'}}}\nthresholds: thresholds.yaml\n"
                                    "uncertainty: {method: monte_carlo, draws: 200, seed: 1}\n", encoding="utf-8")
        subprocess.run([cli, "run", "-c", tmp / "c.yaml"], check=True, capture_output=True)
        write(t, f"store_v{version}_small.h5", (tmp / "small.h5").read_bytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="a built wbe, for the stores of the current schema")
    args = ap.parse_args()
    for d in ("assay_csv", "flows_csv", "water_quality_csv", "sites_yaml", "run_config_yaml", "thresholds_yaml",
              "model_library_yaml"):
        shutil.rmtree(CORPUS / d, ignore_errors=True)
    assay()
    flows()
    water_quality()
    sites()
    configs()
    models()
    stores(args.cli)


if __name__ == "__main__":
    main()
