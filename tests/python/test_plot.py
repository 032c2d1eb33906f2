"""wbe.plot on the example city: what a reader needs to see is there and legible.

Checked on the rendered figures: axis labels carry units, campaign tick labels are quarters and
never overlap (text boxes measured by the Agg renderer), non-detects are open markers at their
limit, and the interval, baseline, thresholds and flags drawn are the stored numbers.
"""
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import wbe
import wbe.plot as wplot

QUARTER = re.compile(r"^\d{4}Q[1-4]$")


@pytest.fixture(scope="module")
def store(example_store):
    return wbe.open_store(example_store)


@pytest.fixture(scope="module")
def meth(store):
    """The planted methamphetamine rise at LS-WWTP-02: threshold watch (possible) and trend alerts."""
    return wplot.series(store, "LS-WWTP-02", "methamphetamine")


@pytest.fixture(scope="module")
def overview(store):
    return wplot.overview(store, "ketamine", kind="wwtp")


def by_gid(fig, gid):
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def tick_texts(ax):
    return [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]


def assert_no_overlap(fig, axis="x"):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
        boxes = [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), f"tick labels overlap: {a} and {b}"


def store_series(store, site, drug):
    return store.series(site, drug)


def ylabel(fig):
    """The y label as one line (a label taller than its axes is broken before its unit)."""
    return " ".join(fig.axes[0].get_ylabel().split())


def test_series_axis_labels_name_the_quantity_and_its_unit(store, meth):
    assert ylabel(meth) == "methamphetamine consumption (mg/day/1000 inh.)"
    assert meth.axes[0].get_xlabel() == "campaign"
    venue = wplot.series(store, "LS-V-09", "ketamine")
    assert ylabel(venue) == "ketamine screening index (mg/day/1000 PE)"
    conc = wplot.series(store, "LS-V-09", "ketamine", metric="concentration")
    assert ylabel(conc) == "ketamine concentration (ng/L)"
    cocaine = wplot.series(store, "LS-WWTP-05", "cocaine")
    assert ylabel(cocaine) == "cocaine (from benzoylecgonine) consumption (mg/day/1000 inh.)"


def test_overview_and_ranking_carry_units(store, overview):
    assert overview._supylabel.get_text() == "ketamine consumption (mg/day/1000 inh.)"
    rank = wplot.ranking(store, "methamphetamine")
    assert rank.axes[0].get_xlabel() == "methamphetamine consumption (mg/day/1000 inh.)"


def test_tick_labels_are_quarters_and_the_newest_is_labelled(meth, overview):
    labelled = 0
    for fig in (meth, overview):
        for ax in fig.axes:
            texts = [t.get_text() for t in tick_texts(ax)]
            if not ax.axison or not texts:  # the legend slot; panels above another panel
                continue
            labelled += 1
            assert all(QUARTER.match(t) for t in texts), texts
            assert texts[-1] == "2024Q4"
    # The series, and the lowest panel of each of the overview's three columns.
    assert labelled == 1 + 3


def test_all_twelve_quarters_are_labelled_when_they_fit(meth):
    assert [t.get_text() for t in tick_texts(meth.axes[0])] == [
        f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]


@pytest.mark.parametrize("width", [3.0, 5.0, 10.0])
def test_tick_labels_never_overlap_and_thin_out_on_narrow_axes(store, width):
    fig = Figure(figsize=(width, 3), layout="constrained")
    ax = fig.add_subplot()
    assert wplot.series(store, "LS-WWTP-04", "ketamine", ax=ax, legend=False) is fig
    assert_no_overlap(fig)
    shown = [t.get_text() for t in tick_texts(ax)]
    assert "2024Q4" in shown and all(QUARTER.match(t) for t in shown)
    if width == 3.0:
        assert len(shown) < 12  # thinned, not squeezed
    # Title, axis labels and tick labels stay inside the figure (a long title drops the site's name,
    # a tall y label breaks before its unit).
    renderer = fig.canvas.get_renderer()
    texts = [ax.get_xaxis().get_label(), ax.get_yaxis().get_label(), *tick_texts(ax),
             *[t for t in (ax.title, ax._left_title) if t.get_text()]]
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= fig.bbox.x1 + 1 and box.y1 <= fig.bbox.y1 + 1, \
            (t.get_text(), box, fig.bbox)
    assert "mg/day/1000 inh." in ax.get_ylabel()


def test_small_multiples_and_ranking_labels_do_not_overlap(store, overview):
    assert_no_overlap(overview)
    rank = wplot.ranking(store, "ketamine", kind="venue")
    assert_no_overlap(rank, axis="y")


def test_non_detects_are_open_markers_at_their_limit(store):
    # mdma at LS-WWTP-01: every sample of every campaign is below its LOQ or LOD.
    fig = wplot.series(store, "LS-WWTP-01", "mdma")
    (nd,) = by_gid(fig, "non-detect")
    assert nd.get_markerfacecolor() == "white" and nd.get_marker() == "o"
    assert not by_gid(fig, "detected")
    rows = store_series(store, "LS-WWTP-01", "mdma")
    np.testing.assert_allclose(nd.get_ydata(), rows["consumption_censored_high"].to_numpy())
    assert (rows["n_censored"] == rows["n_samples"]).all()
    # …and the line does not join campaign means that are only substitutes.
    (line,) = by_gid(fig, "series")
    assert np.isnan(line.get_ydata()).all()


def test_partly_censored_campaigns_are_half_filled(store):
    fig = wplot.series(store, "LS-WWTP-05", "cocaine")
    rows = store_series(store, "LS-WWTP-05", "cocaine")
    part = (rows["n_censored"] > 0) & (rows["n_censored"] < rows["n_samples"])
    assert part.any()
    (half,) = by_gid(fig, "partly-censored")
    assert half.get_fillstyle() == "bottom"
    np.testing.assert_allclose(half.get_ydata(), rows["consumption_mg_per_day_per_1000"][part].to_numpy())


def test_interval_band_and_points_are_the_stored_values(store, meth):
    rows = store_series(store, "LS-WWTP-02", "methamphetamine")
    (pts,) = by_gid(meth, "detected")
    np.testing.assert_allclose(pts.get_ydata(), rows["consumption_mg_per_day_per_1000"].to_numpy())
    (band,) = by_gid(meth, "interval")
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() == pytest.approx(rows["consumption_lower"].min())
    assert ys.max() == pytest.approx(rows["consumption_upper"].max())


def test_baseline_is_the_detectors_expected_value(store, meth):
    (base,) = by_gid(meth, "baseline-rolling_baseline")
    det = store.read("detections")
    det = det[(det.site_id == "LS-WWTP-02") & (det.drug == "methamphetamine") & (det.detector == "rolling_baseline")]
    expected = det.sort_values("campaign")["expected"].to_numpy()
    got = np.asarray(base.get_ydata(), float)
    np.testing.assert_allclose(got[np.isfinite(got)], expected[np.isfinite(expected)])


def test_thresholds_and_flags_by_level_and_certainty(store, meth):
    (watch,) = by_gid(meth, "threshold-watch")
    (alert,) = by_gid(meth, "threshold-alert")
    assert watch.get_ydata()[0] == 200 and alert.get_ydata()[0] == 300
    flags = store.read("flags")
    flags = flags[(flags.site_id == "LS-WWTP-02") & (flags.drug == "methamphetamine")]
    x = {c: wplot.campaign_time(c) for c in flags.campaign}
    (trend,) = by_gid(meth, "flag-alert-rule")
    (possible,) = by_gid(meth, "flag-watch-possible")
    assert sorted(trend.get_xdata()) == sorted(x[c] for c in flags[flags.rule == "trend"].campaign)
    assert sorted(possible.get_xdata()) == sorted(x[c] for c in flags[flags.certainty == "possible"].campaign)
    assert trend.get_markeredgecolor() != possible.get_markeredgecolor()  # colour: level
    assert trend.get_marker() != possible.get_marker()                    # shape: certainty
    labels = [t.get_text() for t in meth.axes[0].get_legend().get_texts()]
    assert "flag: watch, possible (threshold)" in labels and "flag: alert (trend)" in labels


def test_exceeds_flags_at_the_ketamine_plant(store):
    fig = wplot.series(store, "LS-WWTP-04", "ketamine")
    (exceeds,) = by_gid(fig, "flag-alert-exceeds")
    assert len(exceeds.get_xdata()) == 12 and exceeds.get_marker() == "D"


def test_ranking_puts_the_highest_on_top_and_marks_its_flag(store):
    fig = wplot.ranking(store, "ketamine", campaign="2024Q4")
    ax = fig.axes[0]
    top = ax.get_yticklabels()[-1].get_text()
    assert "LS-WWTP-04" in top
    assert by_gid(fig, "flag-alert-exceeds")


def test_unknown_series_is_a_key_error(store):
    with pytest.raises(KeyError, match="LS-NOPE"):
        wplot.series(store, "LS-NOPE", "ketamine")


def test_campaign_time():
    assert wplot.campaign_time("2024Q1") == 2024.125
    assert wplot.campaign_time("2024-03") == pytest.approx(2024 + 2.5 / 12)
    assert wplot.campaign_time("2024") == 2024.5
    assert np.isnan(wplot.campaign_time("spring"))
