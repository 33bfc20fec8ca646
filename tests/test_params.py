"""The URL settings schema: every value from a link is validated, clamped or replaced, and said."""

import math

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
