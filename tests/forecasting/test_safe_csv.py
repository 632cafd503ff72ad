"""Every CSV conflictwatch writes neutralises spreadsheet formulas (OWASP's CSV Injection rule)."""

from __future__ import annotations

import io

import pandas as pd

from forecasting.safe_csv import neutralise_cell, neutralise_formulas, write_csv


def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe():
    dangerous = ['=HYPERLINK("http://x.test","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                 "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
    for value in dangerous:
        assert neutralise_cell(value) == "'" + value


def test_plain_numbers_harmless_text_and_missing_values_are_unchanged():
    for value in ("-3", "+1.5", "-2e3", ".5", "JNIM", "Fada N'gourma", "", None, 12, -4.5):
        assert neutralise_cell(value) == value


def test_a_frame_is_written_safe_and_its_numbers_stay_numbers():
    frame = pd.DataFrame({
        "actor": ["=HYPERLINK(\"http://x.test\")", "JNIM", "@SUM(A1)"],
        "value": [-3, 4, 5],
        "=cmd": ["-3", "-x", "ok"],
    })
    out = io.StringIO()
    write_csv(frame, out)
    assert out.getvalue() == (
        "actor,value,'=cmd\n"
        "\"'=HYPERLINK(\"\"http://x.test\"\")\",-3,-3\n"
        "JNIM,4,'-x\n"
        "'@SUM(A1),5,ok\n"
    )
    assert frame["actor"].iloc[0].startswith("=")  # the caller's frame is not changed
    assert neutralise_formulas(frame)["value"].tolist() == [-3, 4, 5]
