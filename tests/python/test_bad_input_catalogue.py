"""A catalogue of bad input (issue 8): each kind gets its exact message — file, line, column,
field, value and rule — exit code 1 and an unchanged store; the few kinds that are fine (a UTF-8
byte-order mark, CRLF line ends, a quoted comma) are ingested. Then stores that are not stores:
not HDF5, truncated, of a newer schema.

The messages were read off the engine when the catalogue was made and checked by hand; a change
in one is a change in what lab staff read, so it must be deliberate.
"""
import os
import shutil
import subprocess

import h5py
import pytest

from conftest import CLI, EXAMPLE_CONFIG, run_cli

H = "batch_id,sample_id,site_id,sample_date,analyte,value,unit,qualifier,lod,loq,method_id,lab_id,sample_type"


def row(**kw):
    d = dict(batch_id="B-X", sample_id="S-1", site_id="LS-WWTP-01", sample_date="2024-02-14", analyte="methamphetamine",
             value="143", unit="ng/L", qualifier="", lod="0.5", loq="1.5", method_id="M", lab_id="L",
             sample_type="composite_24h")
    d.update(kw)
    return ",".join(d[k] for k in H.split(","))


cases = {
 "empty_file": b"",
 "header_only": (H+"\n").encode(),
 "bom_utf8": ("\ufeff"+H+"\n"+row()+"\n").encode("utf-8"),
 "crlf": (H+"\r\n"+row()+"\r\n").encode(),
 "latin1_bytes": (H+"\n"+row(lab_id="L\xe9")+"\n").encode("latin-1"),
 "utf16": (H+"\n"+row()+"\n").encode("utf-16"),
 "missing_column": (H.replace(",unit","")+"\n"+row().replace(",ng/L","")+"\n").encode(),
 "duplicate_column": (H+",unit\n"+row()+",ng/L\n").encode(),
 "unknown_column": (H+",colour\n"+row()+",red\n").encode(),
 "quoted_comma_in_notes_ok": (H+",notes\n"+row()+',"rain, heavy"\n').encode(),
 "unterminated_quote": (H+"\n"+row(lab_id='"L')+"\n").encode(),
 "too_many_fields": (H+"\n"+row()+",extra\n").encode(),
 "too_few_fields": (H+"\n"+",".join(row().split(",")[:-2])+"\n").encode(),
 "huge_number": (H+"\n"+row(value="1e400")+"\n").encode(),
 "nan_value": (H+"\n"+row(value="NaN")+"\n").encode(),
 "inf_value": (H+"\n"+row(value="inf")+"\n").encode(),
 "negative_value": (H+"\n"+row(value="-3")+"\n").encode(),
 "comma_decimal": (H+"\n"+row(value='"1,5"')+"\n").encode(),
 "date_feb30": (H+"\n"+row(sample_date="2024-02-30")+"\n").encode(),
 "date_year_0": (H+"\n"+row(sample_date="0000-01-01")+"\n").encode(),
 "date_year_99999": (H+"\n"+row(sample_date="99999-01-01")+"\n").encode(),
 "date_slashes": (H+"\n"+row(sample_date="14/02/2024")+"\n").encode(),
 "unknown_analyte": (H+"\n"+row(analyte="unobtainium")+"\n").encode(),
 "unknown_site": (H+"\n"+row(site_id="NOWHERE")+"\n").encode(),
 "unknown_unit": (H+"\n"+row(unit="mg/L")+"\n").encode(),
 "loq_below_lod": (H+"\n"+row(lod="2",loq="1")+"\n").encode(),
 "zero_lod": (H+"\n"+row(lod="0")+"\n").encode(),
 "detect_below_lod": (H+"\n"+row(value="0.1")+"\n").encode(),
 "loq_qualifier_with_value": (H+"\n"+row(qualifier="<LOQ",value="143")+"\n").encode(),
 "unknown_qualifier": (H+"\n"+row(qualifier="~",value="")+"\n").encode(),
 "duplicate_sample_analyte": (H+"\n"+row()+"\n"+row()+"\n").encode(),
 "empty_batch_id": (H+"\n"+row(batch_id="")+"\n").encode(),
 "two_batch_ids": (H+"\n"+row()+"\n"+row(batch_id="B-Y",sample_id="S-2")+"\n").encode(),
 "ten_mb_line": (H+"\n"+row(lab_id="L"*(10*1024*1024))+"\n").encode(),
 "nul_byte": (H+"\n"+row(lab_id="L\x00L")+"\n").encode(),
}

# The first problem each kind must report, after the file name (None: the file is accepted).
EXPECTED = {
    "bom_utf8": None,
    "comma_decimal": ':2:6: value = 1,5: value must be a number, <limit, ND or empty',
    "crlf": None,
    "date_feb30": ':2:4: sample_date = 2024-02-30: sample_date must be a calendar date written YYYY-MM-DD',
    "date_slashes": ':2:4: sample_date = 14/02/2024: sample_date must be a calendar date written YYYY-MM-DD',
    "date_year_0": ':2:4: sample_date = 0000-01-01: sample_date must be a calendar date written YYYY-MM-DD',
    "date_year_99999": ':2:4: sample_date = 99999-01-01: sample_date must be a calendar date written YYYY-MM-DD',
    "detect_below_lod": ':2:6: value = 0.1: a detected value must not be below its lod (0.5)',
    "duplicate_column": ':1:14: column = unit: duplicate column (first at column 7)',
    "duplicate_sample_analyte": ':3:5: sample_id, analyte = S-1, methamphetamine: duplicate row: the same sample and analyte are on line 2',
    "empty_batch_id": ':2:1: batch_id = "": batch_id must not be empty',
    "empty_file": ':1: file is empty: expected a header line and at least one row',
    "header_only": ':2: no data rows after the header',
    "huge_number": ':2:6: value = 1e400: value must be a number, <limit, ND or empty',
    "inf_value": ':2:6: value = inf: value must be a finite number',
    "latin1_bytes": ':2:12: text is not UTF-8 (byte 0xE9); save the file as UTF-8',
    "loq_below_lod": ':2:10: loq = 1: loq must be >= lod (2)',
    "loq_qualifier_with_value": ':2:6: value = 143: value is not below the loq although the qualifier is <LOQ',
    "missing_column": ':1: column = unit: required column is missing',
    "nan_value": ':2:6: value = NaN: value must be a finite number',
    "negative_value": ':2:6: value = -3: value must be >= 0',
    "nul_byte": ':2:12: NUL byte in the text (a binary file?)',
    "quoted_comma_in_notes_ok": None,
    "ten_mb_line": ':2:12: lab_id = {L80}… (10485760 bytes): lab_id is longer than 64 characters',
    "too_few_fields": ':2:12: row has 11 fields, the header has 13',
    "too_many_fields": ':2:14: row has 14 fields, the header has 13',
    "two_batch_ids": ':3:1: batch_id = B-Y: a batch file holds one batch_id; line 2 has B-X',
    "unknown_analyte": ":2:5: analyte = unobtainium: unknown analyte (not in the model library 'default')",
    "unknown_column": ':1:14: column = colour: unknown column (expected batch_id, sample_id, site_id, sample_date, analyte, value, unit, qualifier, lod, loq, method_id, lab_id, recovery_pct, sample_type, notes)',
    "unknown_qualifier": ':2:8: qualifier = ~: qualifier must be empty (detected), <LOD, <LOQ, ND or >ULOQ',
    "unknown_site": ':2:3: site_id = NOWHERE: unknown site (not in the sites table)',
    "unknown_unit": ':2:7: unit = mg/L: unit must be ng/L or ug/L',
    "unterminated_quote": ':2:12: quoted field is not closed',
    "utf16": ':1:1: file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8',
    "zero_lod": ':2:9: lod = 0: lod must be > 0',
}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("catalogue") / "base.h5"
    run_cli("ingest", "-c", EXAMPLE_CONFIG, "--store", store)
    return store


def test_the_catalogue_covers_30_kinds():
    assert set(cases) == set(EXPECTED)
    assert sum(v is not None for v in EXPECTED.values()) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_reported_exactly_and_changes_nothing(name, base_store, tmp_path):
    os.makedirs(tmp_path / "cases")
    (tmp_path / "cases" / f"{name}.csv").write_bytes(cases[name])
    store = tmp_path / "s.h5"
    shutil.copy(base_store, store)
    before = store.read_bytes()
    proc = subprocess.run([str(CLI), "ingest", "-c", str(EXAMPLE_CONFIG), "--store", "s.h5", f"cases/{name}.csv"],
                          cwd=tmp_path, capture_output=True, text=True, errors="replace")
    want = EXPECTED[name]
    if want is None:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "wbe: bad input (nothing was written):"
    assert lines[1] == "  cases/" + name + ".csv" + want.replace("{L80}", "L" * 80)
    assert store.read_bytes() == before


def test_stores_that_are_not_stores(base_store, tmp_path):
    (tmp_path / "junk.h5").write_text("not hdf5")
    (tmp_path / "trunc.h5").write_bytes(base_store.read_bytes()[:4000])
    shutil.copy(base_store, tmp_path / "newer.h5")
    with h5py.File(tmp_path / "newer.h5", "r+") as f:
        f.attrs["schema_version"] = 99
    want = {
        "junk.h5": "junk.h5: not an HDF5 file (is it a wbe store?)",
        "trunc.h5": "trunc.h5: reading the store failed: H5Fopen failed",
        "newer.h5": "newer.h5: store has schema version 99, newer than this engine reads (4); upgrade wbe",
    }
    for name, message in want.items():
        before = (tmp_path / name).read_bytes()
        proc = subprocess.run([str(CLI), "ingest", "-c", str(EXAMPLE_CONFIG), "--store", name], cwd=tmp_path,
                              capture_output=True, text=True)
        assert proc.returncode == 1, name
        assert proc.stderr.splitlines()[:2] == ["wbe: store:", "  " + message], proc.stderr
        assert (tmp_path / name).read_bytes() == before
