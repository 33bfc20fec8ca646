"""The sparse-features page's settings, declared once, and its cached runs.

Each setting is one :class:`Param`: its URL key, label, range, widget, step, format, help and
the sidebar section it sits in. ``ui.widgets`` draws the sidebar from it and ``ui.Settings``
parses links with it, so a label cannot drift between the widget and a link's note. The cached
functions take hashable settings only (``data_key`` = probabilities as bytes, examples, model,
noise, seed) and are bounded, so many distinct links cannot exhaust memory.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from adagrad_core import OPTIMIZERS, sparse

from . import fig_sparse as F
from . import fig_sweeps as FS
from .params import Param

PAGE = "sparse-features"
PRESET_LABELS = {
    "zipf": "Power law (Zipf)",
    "two_groups": "Two groups: frequent and rare",
    "custom": "A handful, one slider each",
}
EXTRAS = ("rmsprop", "adam")
CUSTOM_DEFAULTS = (0.8, 0.3, 0.1, 0.03, 0.01)
SWEEP_SIZES = (1, 4, 16, 64, 256)
QUICK_SWEEP_EXAMPLES = 8192  # a sweep of up to this many examples takes about 0.2 s


def _preset(*names: str):
    return lambda v: v["preset"] in names


SCHEMA = [
    Param(
        "preset",
        "two_groups",
        "choice",
        options=sparse.PRESETS,
        label="Features",
        option_labels=PRESET_LABELS,
        section="Data",
    ),
    Param(
        "features",
        100,
        "int",
        sparse.MIN_ZIPF_FEATURES,
        sparse.MAX_FEATURES,
        label="Number of features",
        step=10,
        section="Data",
        show_if=_preset("zipf", "two_groups"),
    ),
    Param(
        "zipf_s",
        1.0,
        "float",
        0.5,
        2.0,
        label="Power-law exponent s",
        step=0.1,
        help="p ∝ 1/rank^s, the most frequent feature's p = 0.5",
        section="Data",
        show_if=_preset("zipf"),
    ),
    Param(
        "p_freq",
        0.5,
        "float",
        0.05,
        1.0,
        label="p of frequent features",
        step=0.05,
        section="Data",
        show_if=_preset("two_groups"),
    ),
    Param(
        "p_rare",
        0.01,
        "float",
        0.001,
        0.2,
        label="p of rare features",
        step=0.001,
        fmt="%.3f",
        section="Data",
        show_if=_preset("two_groups"),
    ),
    Param(
        "rare_share",
        0.5,
        "float",
        0.1,
        0.9,
        label="Share of rare features",
        step=0.05,
        section="Data",
        show_if=_preset("two_groups"),
    ),
    *[
        Param(
            f"p{i + 1}",
            p,
            "float",
            0.001,
            1.0,
            label=f"p of feature {i + 1}",
            step=0.001,
            fmt="%.3f",
            section="Data",
            show_if=_preset("custom"),
        )
        for i, p in enumerate(CUSTOM_DEFAULTS)
    ],
    Param(
        "model",
        "linear",
        "choice",
        options=sparse.MODELS,
        label="Model",
        widget="radio",
        section="Data",
    ),  # fmt: skip
    Param(
        "noise",
        0.5,
        "float",
        0.0,
        2.0,
        label="Label noise (standard deviation)",
        step=0.1,
        section="Data",
        show_if=lambda v: v["model"] == "linear",
    ),
    Param(
        "flip",
        0.0,
        "float",
        0.0,
        0.5,
        label="Share of labels flipped",
        step=0.01,
        section="Data",
        show_if=lambda v: v["model"] == "logistic",
    ),
    Param(
        "examples",
        4096,
        "int",
        512,
        sparse.MAX_EXAMPLES,
        label="Examples",
        step=512,
        section="Data",
    ),  # fmt: skip
    Param("seed", 0, "int", 0, 9999, label="Random seed", widget="number", step=1, section="Data"),
    Param(
        "batch",
        1,
        "int",
        1,
        256,
        label="Batch size B",
        widget="select_slider",
        grid=sparse.SWEEP_BATCHES,
        section="Training",
    ),
    Param(
        "sgd_lr",
        0.05,
        "float",
        0.001,
        2.0,
        label="SGD learning rate",
        step=0.001,
        fmt="%.3f",
        section="Training",
    ),  # fmt: skip
    Param(
        "adagrad_lr",
        0.5,
        "float",
        0.001,
        5.0,
        label="Adagrad learning rate",
        step=0.001,
        fmt="%.3f",
        section="Training",
    ),  # fmt: skip
    Param(
        "extra",
        [],
        "multi",
        options=EXTRAS,
        label="Also train",
        option_labels={n: OPTIMIZERS[n].label for n in EXTRAS},
        section="Training",
    ),
    Param(
        "extra_lr",
        0.05,
        "float",
        0.001,
        1.0,
        label="RMSprop / Adam learning rate",
        step=0.001,
        fmt="%.3f",
        section="Training",
        show_if=lambda v: bool(v["extra"]),
    ),
    Param("sweep", True, "bool", label="Batch-size sweep", help="Chart ⑤", section="Training"),
]


def problem(v: dict) -> bytes:
    """Occurrence probabilities of the chosen preset, as bytes: a cache key that is quick to
    hash (a tuple of 1000 floats costs the caches ~10 ms per call)."""
    if v["preset"] == "zipf":
        p = sparse.feature_probs("zipf", n_features=v["features"], exponent=v["zipf_s"])
    elif v["preset"] == "two_groups":
        p = sparse.feature_probs(
            "two_groups",
            n_features=v["features"],
            p_frequent=v["p_freq"],
            p_rare=v["p_rare"],
            rare_share=v["rare_share"],
        )
    else:
        p = sparse.feature_probs(
            "custom", probs=[v[f"p{i + 1}"] for i in range(len(CUSTOM_DEFAULTS))]
        )
    return p.tobytes()


def keys(v: dict) -> tuple[tuple, tuple]:
    """(data_key, hparams) of the settings ``v``: what the caches are keyed by."""
    noise = v["noise"] if v["model"] == "linear" else v["flip"]
    hparams = (("sgd", (("lr", v["sgd_lr"]),)), ("adagrad", (("lr", v["adagrad_lr"]),)))
    hparams += tuple((name, (("lr", v["extra_lr"]),)) for name in EXTRAS if name in v["extra"])
    return (problem(v), v["examples"], v["model"], noise, v["seed"]), hparams


def sweep_rates(batch: int, sgd_lr: float) -> list[float]:
    """SGD's rates of chart ②: the grid, the page's rate and that rate × B."""
    return sorted({*sparse.SGD_RATES, sgd_lr, sgd_lr * batch})


def sweep_sizes(batch: int) -> tuple[int, ...]:
    return tuple(sorted({*SWEEP_SIZES, batch}))


def data_of(data_key: tuple) -> sparse.SparseData:
    """The example stream of ``data_key`` (see :func:`keys`), computed."""
    probs, examples, model, noise, seed = data_key
    p = np.frombuffer(probs)
    return sparse.make_data(p, n_examples=examples, model=model, noise=noise, seed=seed)


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def cached_data(data_key: tuple) -> sparse.SparseData:
    """The example stream (up to 20 MB of booleans): shared, read-only, never copied."""
    return data_of(data_key)


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_run(data_key: tuple, batch: int, hparams: tuple) -> sparse.SparseRun:
    hp = {name: dict(kw) for name, kw in hparams}
    return sparse.simulate(
        cached_data(data_key), batch_size=batch, optimizers=tuple(hp), hparams=hp
    )


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_sweep(data_key: tuple, sizes: tuple, hparams: tuple, _run: sparse.SparseRun):
    """The sweep; the page's own run (not part of the cache key) stands for its batch size."""
    hp = {name: dict(kw) for name, kw in hparams}
    return sparse.batch_sweep(cached_data(data_key), batch_sizes=sizes, hparams=hp, runs=(_run,))


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_rates(data_key: tuple, batch: int, sgd_lr: float) -> sparse.RateSweep:
    """Plain SGD at every rate of the grid, the page's rate and that rate × B."""
    return sparse.sgd_rate_sweep(
        cached_data(data_key), batch_size=batch, lrs=sweep_rates(batch, sgd_lr)
    )


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_run_figures(data_key: tuple, batch: int, hparams: tuple) -> tuple:
    """SGD at every rate, and charts ① to ④ of the run, built once per settings."""
    run = cached_run(data_key, batch, hparams)
    rates = cached_rates(data_key, batch, run.hparams["sgd"]["lr"])
    summary = sparse.summarize(run)
    return (
        rates,
        F.error_figure(run, rates),
        FS.rate_figure(rates, summary["adagrad"], run.hparams["sgd"]["lr"]),
        F.accumulator_figure(run),
        F.frequency_figure(run),
    )


@st.cache_resource(max_entries=12, ttl=3600, show_spinner=False)
def cached_sweep_figure(
    data_key: tuple, sizes: tuple, hparams: tuple, batch: int, _sweep: sparse.BatchSweep
):
    """Chart ⑤, built once per settings (read-only, shared); ``_sweep`` is those settings'."""
    return FS.sweep_figure(_sweep, batch)
