"""The URL settings schema: every value from a link is validated, clamped or replaced, and said."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adagrad_app.params import MAX_TEXT, Param, defaults, encode, parse

SCHEMA = [
    Param("lr", 0.1, "float", 1e-4, 10.0, label="Learning rate"),
    Param("steps", 50, "int", 1, 500),
    Param("opt", ["sgd", "adagrad"], "multi", options=("sgd", "adagrad", "adam")),
    Param("surface", "quadratic", "choice", options=("quadratic", "rosenbrock")),
    Param("anim", True, "bool"),
    Param("expr", "x**2", "text"),
]


def test_empty_query_gives_defaults_without_notes():
    values, notes = parse(SCHEMA, {})
    assert values == defaults(SCHEMA) and notes == []


def test_good_values_round_trip_through_encode():
    values = {"lr": 0.25, "steps": 7, "opt": ["adam"], "surface": "rosenbrock", "anim": False}
    values["expr"] = "sin(x)"
    query = encode(SCHEMA, values)
    assert parse(SCHEMA, query) == (values, [])


def test_defaults_are_not_written_to_the_url():
    assert encode(SCHEMA, defaults(SCHEMA)) == {}


def test_out_of_range_numbers_are_clamped_with_a_note():
    values, notes = parse(SCHEMA, {"lr": "99", "steps": "-3"})
    assert values["lr"] == 10.0 and values["steps"] == 1
    assert any("Learning rate" in n and "above" in n for n in notes)
    assert any("steps" in n and "below" in n for n in notes)


def test_non_numbers_nan_and_inf_fall_back_to_default():
    for raw in ("abc", "nan", "inf", "-inf", "1e999", ""):
        values, notes = parse(SCHEMA, {"lr": raw})
        assert values["lr"] == 0.1, raw
        assert len(notes) == 1, raw


def test_int_rejects_fractions():
    values, notes = parse(SCHEMA, {"steps": "2.5"})
    assert values["steps"] == 50 and notes


def test_unknown_choice_multi_and_keys():
    values, notes = parse(SCHEMA, {"surface": "evil", "opt": "adam,<script>", "zzz": "1"})
    assert values["surface"] == "quadratic"
    assert values["opt"] == ["adam"]
    assert len(notes) == 3


def test_empty_multi_falls_back_to_default():
    values, notes = parse(SCHEMA, {"opt": ",,"})
    assert values["opt"] == ["sgd", "adagrad"] and notes


def test_too_long_text_is_refused():
    values, notes = parse(SCHEMA, {"expr": "x" * (MAX_TEXT + 1)})
    assert values["expr"] == "x**2" and notes


def test_lock_flag_is_reserved_not_unknown():
    assert parse(SCHEMA, {"lock": "1"}) == (defaults(SCHEMA), [])


@given(st.dictionaries(st.sampled_from([p.key for p in SCHEMA] + ["x"]), st.text(max_size=300)))
def test_any_query_gives_valid_values(query):
    values, _ = parse(SCHEMA, query)
    assert 1e-4 <= values["lr"] <= 10 and math.isfinite(values["lr"])
    assert isinstance(values["steps"], int) and 1 <= values["steps"] <= 500
    assert values["opt"] and set(values["opt"]) <= {"sgd", "adagrad", "adam"}
    assert values["surface"] in ("quadratic", "rosenbrock")
    assert isinstance(values["anim"], bool)
    assert len(values["expr"]) <= MAX_TEXT


# --- the notes speak the page's words ----------------------------------------------------------

SURFACE_LABELS = {"quadratic": "Ill-conditioned quadratic", "rosenbrock": "Rosenbrock (banana)"}
LABELLED = [
    Param("features", 100, "int", 20, 1000, label="Number of features"),
    Param(
        "surface",
        "quadratic",
        "choice",
        options=tuple(SURFACE_LABELS),
        label="Surface",
        option_labels=SURFACE_LABELS,
    ),
    Param(
        "opts",
        ["sgd"],
        "multi",
        options=("sgd", "adam"),
        label="Optimizers",
        option_labels={"sgd": "SGD", "adam": "Adam"},
    ),
    Param("eps", "1e-10", "choice", options=("1e-10", "1e-8", "0.1"), label="ε"),
    Param("view3d", False, "bool", label="3-D view"),
]


def _note(query: dict) -> str:
    (note,) = parse(LABELLED, query)[1]
    return note


def test_notes_name_the_setting_by_its_label():
    assert (
        _note({"features": "99999"}) == "Number of features: 99999 is above the maximum; using 1000"
    )
    assert _note({"features": "3"}) == "Number of features: 3 is below the minimum; using 20"
    assert (
        _note({"features": "2.5"}) == "Number of features: '2.5' is not a whole number; using 100"
    )
    assert _note({"view3d": "maybe"}) == "3-D view: 'maybe' is not on or off; using off"


def test_unknown_choice_lists_the_choices_by_their_labels():
    assert _note({"surface": "nonexistent"}) == (
        "Surface: 'nonexistent' is not one of Ill-conditioned quadratic / Rosenbrock (banana); "
        "using Ill-conditioned quadratic"
    )
    assert _note({"eps": "-1"}) == "ε: '-1' is not one of 1e-10 / 1e-8 / 0.1; using 1e-10"
    assert _note({"opts": "adam,bogus"}) == "Optimizers: ignored 'bogus', not one of SGD / Adam"
    assert (
        _note({"opts": "bogus"}) == "Optimizers: nothing in 'bogus' is one of SGD / Adam; using SGD"
    )


def test_without_labels_the_notes_use_the_url_names():
    # SCHEMA above has neither label nor option_labels for these
    notes = parse(SCHEMA, {"surface": "evil", "steps": "900", "opt": "zz"})[1]
    assert notes == [
        "surface: 'evil' is not one of quadratic / rosenbrock; using quadratic",
        "steps: 900 is above the maximum; using 500",
        "opt: nothing in 'zz' is one of sgd / adagrad / adam; using sgd, adagrad",
    ]


def test_a_long_list_of_choices_is_cut_short():
    labels = {f"s{i}": f"A surface with a long name number {i}" for i in range(9)}
    p = Param(
        "surface", "s0", "choice", options=tuple(labels), label="Surface", option_labels=labels
    )
    note = p.decode("moon")[1]
    assert "number 0 / A surface with a long name number 1 / …; using A surface" in note
    assert "number 2" not in note and len(note) < 200


def test_link_text_is_quoted_and_cut_short():
    for raw in ("<script>alert(1)</script>" * 3, "a\x00b" + "x" * 100, "9" * 150 + "x"):
        note = _note({"surface": raw})
        assert repr(raw[:20]) + "…" in note and raw[:21] not in note
    # a huge number is shown as a number, not as its 150 digits
    assert (
        _note({"features": "9" * 150})
        == "Number of features: 1e+150 is above the maximum; using 1000"
    )


def test_option_labels_keep_a_param_hashable():
    assert hash(LABELLED[1]) == hash(
        Param("surface", "quadratic", "choice", options=tuple(SURFACE_LABELS), label="Surface")
    )


@given(st.dictionaries(st.sampled_from([p.key for p in SCHEMA] + ["x"]), st.text(max_size=300)))
def test_the_url_written_back_reproduces_the_values(query):
    """Whatever a link held, the query the page writes back (encode) gives the values shown,
    without a note: a clamped value is written as clamped, a replaced one (the default) not at
    all, an unknown setting dropped."""
    values, _ = parse(SCHEMA, query)
    again, notes = parse(SCHEMA, encode(SCHEMA, values))
    assert notes == []
    assert again.keys() == values.keys()
    for key, v in values.items():
        assert again[key] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v), key


def test_a_number_between_grid_points_snaps_to_the_nearest_on_the_grids_scale():
    """A linear grid snaps by difference, a log grid (``log=True``) by ratio, as the page's
    log-spaced sliders space their points; either way the note names both values."""
    grid = (1e-3, 1.5e-3, 2e-3)
    lin = Param("lr", 1e-3, "float", 1e-3, 2e-3, label="lr", grid=grid)
    log = Param("lr", 1e-3, "float", 1e-3, 2e-3, label="lr", grid=grid, log=True)
    # 0.00124: 0.00024 from 0.001 and 0.00026 from 0.0015, but 1.24× and 1.21× away
    assert lin.decode("0.00124") == (1e-3, "lr: 0.00124 is not on the slider; using 0.001")
    assert log.decode("0.00124") == (1.5e-3, "lr: 0.00124 is not on the slider; using 0.0015")
    assert log.decode("0.0015") == (1.5e-3, None)  # on the grid: kept, no note
    assert log.decode("1")[0] == 2e-3  # clamped to the range first


def test_the_trajectories_rates_snap_as_the_core_does():
    """The page's learning rates and ε snap where :func:`adagrad_core.racers.snap` would."""
    from adagrad_app.trajectories_settings import schema_for
    from adagrad_core.racers import snap

    for p in schema_for("quadratic"):
        if p.grid:
            for v in (p.lo * 1.1, p.hi / 1.3, *(g * 1.22 for g in p.grid[:-1])):
                assert p.decode(f"{v:.6g}")[0] == snap(float(f"{v:.6g}"), p.grid), (p.key, v)
