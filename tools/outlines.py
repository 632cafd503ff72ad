"""Regenerate reports/data/outlines.json, the country outlines the report's maps draw, from
Natural Earth's 1:110m countries (public domain) as geopandas 0.14.4 ships them.

    pip download geopandas==0.14.4 --no-deps -d /tmp/ne
    unzip -q /tmp/ne/geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/naturalearth_lowres/*' -d /tmp/ne
    .venv/bin/python tools/outlines.py /tmp/ne/geopandas/datasets/naturalearth_lowres/naturalearth_lowres

Reads the shapefile's .shp (polygons) and .dbf (names) itself, so it needs nothing installed; run
once, offline, whenever the list of countries changes. Coordinates are rounded to 0.001 degree
(about 100 m, far below what 1:110m resolves).
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

#: The watch area's countries and every country that borders them.
COUNTRIES = ("Mali", "Burkina Faso", "Niger", "Algeria", "Mauritania", "Senegal", "Guinea", "Côte d'Ivoire", "Ghana",
             "Togo", "Benin", "Nigeria", "Chad", "Libya")
OUT = Path(__file__).resolve().parents[1] / "reports" / "data" / "outlines.json"
POLYGON = 5


def read_names(dbf: bytes, encoding: str = "latin-1") -> list[str]:
    """The `name` column of a dBASE III table, one entry a record."""
    records, header_size, record_size = struct.unpack("<xxxxIHH", dbf[:12])
    fields, offset = [], 1  # each record starts with its deletion flag
    for start in range(32, header_size - 1, 32):
        name = dbf[start:start + 11].split(b"\0")[0].decode("ascii")
        size = dbf[start + 16]
        fields.append((name, offset, size))
        offset += size
    _, at, size = next(field for field in fields if field[0] == "name")
    return [dbf[header_size + index * record_size + at:][:size].decode(encoding).strip() for index in range(records)]


def read_polygons(shp: bytes) -> list[list[list[tuple[float, float]]]]:
    """Each record's rings of (longitude, latitude), in file order."""
    shapes, position = [], 100
    while position < len(shp):
        _, words = struct.unpack(">ii", shp[position:position + 8])
        body = shp[position + 8:position + 8 + 2 * words]
        position += 8 + 2 * words
        if struct.unpack("<i", body[:4])[0] != POLYGON:
            raise ValueError(f"record {len(shapes) + 1}: not a polygon; this script reads polygon shapefiles only")
        parts, points = struct.unpack("<ii", body[36:44])
        starts = list(struct.unpack(f"<{parts}i", body[44:44 + 4 * parts])) + [points]
        xy = struct.unpack(f"<{2 * points}d", body[44 + 4 * parts:44 + 4 * parts + 16 * points])
        shapes.append([[(xy[2 * i], xy[2 * i + 1]) for i in range(first, last)] for first, last in zip(starts, starts[1:])])
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapefile", type=Path, help="path of the shapefile without its extension")
    arguments = parser.parse_args()
    names = read_names(arguments.shapefile.with_suffix(".dbf").read_bytes())
    shapes = read_polygons(arguments.shapefile.with_suffix(".shp").read_bytes())
    outlines = {name: [[[round(x, 3), round(y, 3)] for x, y in ring] for ring in rings]
                for name, rings in zip(names, shapes) if name in COUNTRIES}
    missing = sorted(set(COUNTRIES) - set(outlines))
    if missing:
        raise SystemExit(f"{arguments.shapefile}: no country named {', '.join(missing)}; check the names in COUNTRIES")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({name: outlines[name] for name in COUNTRIES}, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(outlines)} countries, {sum(len(ring) for rings in outlines.values() for ring in rings)} points")


if __name__ == "__main__":
    main()
