"""The maps' country outlines: shipped, drawn under the points, seen in the PNG."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Polygon
from PIL import Image

from reports import maps, style


def test_the_shipped_outlines_hold_the_watch_area_and_its_neighbours_as_closed_rings():
    found = maps.outlines()
    assert {"Mali", "Burkina Faso", "Niger", "Algeria", "Nigeria", "Côte d'Ivoire"} <= set(found)
    for country, rings in found.items():
        for ring in rings:
            assert len(ring) >= 4 and (ring[0] == ring[-1]).all(), country
    # Bamako, Ouagadougou and Niamey lie inside their country's bounding box, and nowhere else's.
    def inside(country, longitude, latitude):
        points = np.concatenate(found[country])
        return points[:, 0].min() <= longitude <= points[:, 0].max() and points[:, 1].min() <= latitude <= points[:, 1].max()

    assert inside("Mali", -8.0, 12.65) and inside("Burkina Faso", -1.53, 12.37) and inside("Niger", 2.11, 13.51)
    assert not inside("Burkina Faso", -8.0, 12.65)


def test_a_map_draws_the_outlines_under_its_points(report_inputs, tmp_path):
    with style.report_style():
        figure = maps.map_figure(report_inputs, "Mali", "Mali: where political violence happened", [])
        axes = figure.axes[0]
        outlines = [patch for patch in axes.patches if isinstance(patch, Polygon) and (patch.get_gid() or "").startswith("outline:")]
        drawn = {patch.get_gid() for patch in outlines}
        assert {"outline:Mali", "outline:Burkina Faso", "outline:Niger"} <= drawn
        points = [collection for collection in axes.collections if isinstance(collection, PathCollection)]
        assert points and max(patch.get_zorder() for patch in outlines) < min(points_.get_zorder() for points_ in points)
        (mali,) = [patch for patch in outlines if patch.get_gid() == "outline:Mali"]
        assert mali.get_facecolor() == to_rgba(style.OUTLINE_FILL)
        figure.savefig(tmp_path / "map.png", dpi=50)
    # Mali's land fill covers a good part of the map's pixels.
    pixels = np.asarray(Image.open(tmp_path / "map.png").convert("RGB"))
    fill = np.array(to_rgba(style.OUTLINE_FILL)[:3]) * 255
    assert (np.abs(pixels.astype(int) - fill).sum(axis=-1) <= 6).mean() > 0.05


def test_a_seat_that_is_several_capitals_is_labelled_once_as_the_largest(report_inputs):
    """Bamako is the national capital and its district's seat, Kayes its region's and its
    province's: one label each (the map said 'Bamako' twice)."""
    import dataclasses

    import pandas as pd

    capitals = pd.DataFrame([
        ("Mali", "national_capital", "Bamako", 12.64, -8.0), ("Mali", "admin1_capital", "Bamako", 12.64, -8.0),
        ("Mali", "admin1_capital", "Kayes", 14.45, -11.44), ("Mali", "admin2_capital", "Kayes", 14.45, -11.44),
        ("Mali", "admin2_capital", "Kita", 13.03, -9.49),
    ], columns=["country", "level", "seat", "latitude", "longitude"])
    inputs = dataclasses.replace(report_inputs, capitals=capitals)
    with style.report_style():
        figure = maps.map_figure(inputs, "Mali", "Mali: where political violence happened", [])
        labels = [text.get_text() for text in figure.axes[0].texts]

    assert sorted(label for label in labels if label in {"Bamako", "Kayes", "Kita"}) == ["Bamako", "Kayes", "Kita"]
    sizes = {text.get_text(): text.get_fontsize() for text in figure.axes[0].texts}
    assert sizes["Bamako"] == maps.CAPITAL_STYLES["national_capital"][2] and sizes["Kayes"] == maps.CAPITAL_STYLES["admin1_capital"][2]


def test_an_incidents_place_that_is_a_capital_is_named_once_in_the_incident_colour(report_inputs):
    """Niono is a provincial capital and the place of an incident: its name once, in the
    incident's label (the map printed it in black and in blue)."""
    import dataclasses

    import pandas as pd

    capitals = pd.DataFrame([("Mali", "admin2_capital", "Niono", 14.25, -5.99), ("Mali", "admin2_capital", "Kita", 13.03, -9.49)],
                            columns=["country", "level", "seat", "latitude", "longitude"])
    inputs = dataclasses.replace(report_inputs, capitals=capitals)
    with style.report_style():
        figure = maps.map_figure(inputs, "Mali", "Mali: where political violence happened", [("Niono", 14.25, -5.99)])
        texts = [text for text in figure.axes[0].texts if text.get_text() in {"Niono", "Kita"}]

    assert sorted(text.get_text() for text in texts) == ["Kita", "Niono"]
    (niono,) = [text for text in texts if text.get_text() == "Niono"]
    assert niono.get_color() == style.BLUE
