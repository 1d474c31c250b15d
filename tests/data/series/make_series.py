#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the real time series of tests/data/series/ (the slow forecasting test).

Each series becomes NAME.csv (a header row `value`, then one value per row, in
time order) and a line of manifest.csv:

    name,file,source,period,rows,test_rows,kind,description

`period` is the season length (12 monthly, 4 quarterly, 1 none); the last
`test_rows` rows (about 20 %, at least two seasons where seasonal) are the
test part, every row before them the training part. Cells hold no commas
or quotes.

The data come from two Debian packages, read at build time of the data only
(the CSVs are committed, so the test needs neither):

    apt-get install -y python3-statsmodels r-base-core
    /usr/bin/python3 tests/data/series/make_series.py

statsmodels' datasets are public domain (their COPYRIGHT notes say so); R's
`datasets` package is part of R (GPL-2 | GPL-3) and its series are old
published measurements.
"""
import csv
import io
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def statsmodels_series(name):
    """(values, description) of one statsmodels-derived series."""
    import statsmodels.datasets as ds

    if name == "elnino":
        from statsmodels.datasets import elnino

        d = elnino.load_pandas().data
        months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                  "SEP", "OCT", "NOV", "DEC"]
        values = [float(v) for _, row in d.iterrows() for v in row[months]]
        return values, "statsmodels elnino: monthly sea surface temperature at Nino 1+2 1950-2010"
    if name == "nile":
        from statsmodels.datasets import nile

        d = nile.load_pandas().data
        return [float(v) for v in d["volume"]], "statsmodels nile: yearly Nile flow at Aswan 1871-1970"
    if name == "sunspots-yearly":
        from statsmodels.datasets import sunspots

        d = sunspots.load_pandas().data
        return [float(v) for v in d["SUNACTIVITY"]], "statsmodels sunspots: yearly sunspot numbers 1700-2008"
    if name.startswith("macro-"):
        from statsmodels.datasets import macrodata

        col = name[len("macro-"):]
        d = macrodata.load_pandas().data
        return [float(v) for v in d[col]], f"statsmodels macrodata {col}: quarterly US data 1959-2009 (seasonally adjusted)"
    if name == "elec-equip":
        from statsmodels.datasets import elec_equip

        d = elec_equip.load_pandas().data
        return [float(v) for v in d.iloc[:, 0]], "statsmodels elec_equip: monthly euro-area electrical equipment orders index 1995-2016"
    raise KeyError(name)


def r_series(rname):
    """Values of one series of R's datasets package, through Rscript."""
    script = f"write.csv(data.frame(value = as.numeric({rname})), stdout(), row.names = FALSE)"
    out = subprocess.run(["Rscript", "-e", script], check=True,
                         capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["value"], rows[0]
    return [float(r[0]) for r in rows[1:]]


# name, source, period, kind, reader
SERIES = [
    ("elnino", "statsmodels", 12, "seasonal + cycles", None),
    ("nile", "statsmodels", 1, "noise + level shift", None),
    ("sunspots-yearly", "statsmodels", 1, "cycles", None),
    ("macro-realgdp", "statsmodels", 1, "trend", None),
    ("macro-unemp", "statsmodels", 1, "cycles", None),
    ("elec-equip", "statsmodels", 12, "seasonal + trend changes", None),
    ("nottem", "R datasets", 12, "seasonal", "nottem"),
    ("ukgas", "R datasets", 4, "trend + growing seasonality", "UKgas"),
    ("lynx", "R datasets", 1, "cycles", "lynx"),
    ("treering", "R datasets", 1, "noise + long", "treering"),
    ("johnson-johnson", "R datasets", 4, "trend + growing seasonality", "JohnsonJohnson"),
    ("lake-huron", "R datasets", 1, "noise + slow drift", "LakeHuron"),
]

R_DESCRIPTIONS = {
    "nottem": "R nottem: monthly mean air temperature at Nottingham 1920-1939",
    "UKgas": "R UKgas: quarterly UK gas consumption 1960-1986",
    "lynx": "R lynx: yearly Canadian lynx trappings 1821-1934",
    "treering": "R treering: yearly normalised tree-ring widths 6000 BC-1979",
    "JohnsonJohnson": "R JohnsonJohnson: quarterly earnings per Johnson & Johnson share 1960-1980",
    "LakeHuron": "R LakeHuron: yearly level of Lake Huron 1875-1972",
}


def test_rows(n, period):
    """About the last 20 %, and at least two seasons where seasonal."""
    t = int(round(0.2 * n))
    if period > 1:
        t = max(t, 2 * period)
        t = int(math.ceil(t / period)) * period
    return t


def main():
    manifest = [["name", "file", "source", "period", "rows", "test_rows",
                 "kind", "description"]]
    for name, source, period, kind, rname in SERIES:
        if rname is None:
            values, desc = statsmodels_series(name)
        else:
            values, desc = r_series(rname), R_DESCRIPTIONS[rname]
        assert all(math.isfinite(v) for v in values), name
        fname = name + ".csv"
        with open(os.path.join(HERE, fname), "w", newline="") as f:
            f.write("value\n")
            for v in values:
                f.write(f"{v:.10g}\n")
        n = len(values)
        manifest.append([name, fname, source, str(period), str(n),
                         str(test_rows(n, period)), kind, desc])
        print(f"{name}: {n} rows, period {period}, test {manifest[-1][5]}",
              file=sys.stderr)
    # plain cells: the test splits lines at commas
    assert all("," not in c and '"' not in c for row in manifest for c in row)
    with open(os.path.join(HERE, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerows(manifest)


if __name__ == "__main__":
    main()
