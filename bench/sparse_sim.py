"""Sparse-feature simulation (adagrad_core.sparse), timed at the core.

- default view: what pages/sparse-features.py computes on a cache miss at its default settings
  (read from its SCHEMA in adagrad_app/sparse_view.py): the example stream, the SGD/Adagrad
  run, plain SGD at every rate of chart ② (the rate sweep) and the batch-size sweep of chart ⑤
  (which reuses the run for its batch size, as the page's does);
- large: 1000 features x 20 000 examples, batch size 1 (the most steps any setting asks for).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from dataclasses import dataclass

HPARAMS = {"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}}  # the large case's


def page_default() -> dict:
    """The sparse page's default settings, as its caches see them."""
    from adagrad_app import sparse_view as V

    v = {p.key: p.default for p in V.SCHEMA}
    data_key, hparams = V.keys(v)
    return {"data_key": data_key, "hparams": {k: dict(kw) for k, kw in hparams}, "v": v}


def available() -> bool:
    return importlib.util.find_spec("adagrad_core.sparse") is not None


@dataclass
class SparseResult:
    label: str
    parts: dict[str, list[float]]  # part -> seconds per repeat

    def best(self, part: str) -> float:
        return min(self.parts[part])

    def median(self, part: str) -> float:
        return statistics.median(self.parts[part])


def _time(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def default_view() -> dict:
    """Seconds for each part of the page's default view computed from scratch, in its order."""
    from adagrad_app import sparse_view as V
    from adagrad_core import sparse

    d = page_default()
    data, t_data = _time(lambda: V.data_of(d["data_key"]))
    v, hp = d["v"], d["hparams"]
    run, t_run = _time(
        lambda: sparse.simulate(data, batch_size=v["batch"], optimizers=tuple(hp), hparams=hp)
    )
    _, t_summary = _time(lambda: sparse.summarize(run))
    lrs = V.sweep_rates(v["batch"], v["sgd_lr"])
    _, t_rates = _time(lambda: sparse.sgd_rate_sweep(data, batch_size=v["batch"], lrs=lrs))
    sizes = V.sweep_sizes(v["batch"])
    _, t_sweep = _time(lambda: sparse.batch_sweep(data, batch_sizes=sizes, hparams=hp, runs=(run,)))
    parts = {
        "data": t_data,
        "run": t_run + t_summary,
        "rate sweep": t_rates,
        "batch sweep": t_sweep,
    }
    parts["total"] = sum(parts.values())
    return parts


def large_view(features: int = 1000, examples: int = 20_000) -> dict:
    from adagrad_core import sparse

    probs = sparse.feature_probs("zipf", n_features=features, exponent=1.0)
    data, t_data = _time(lambda: sparse.make_data(probs, n_examples=examples, seed=0))
    _, t_run = _time(lambda: sparse.simulate(data, batch_size=1, hparams=HPARAMS))
    return {"data": t_data, "run": t_run, "total": t_data + t_run}


def measure(repeats: int, quick: bool = False) -> list[SparseResult]:
    d = page_default()["v"]
    cases = [
        (f"default view: {d['preset']}, {d['examples']} examples, B={d['batch']}", default_view),
        ("large: 1000 features x 20000 examples, B=1", large_view),
    ]
    if quick:  # keep the code path, not the size
        cases[1] = ("large, quick: 20 features x 512 examples, B=1", lambda: large_view(20, 512))
    results = []
    for label, fn in cases:
        res = SparseResult(label, {})
        for _ in range(repeats):
            for part, seconds in fn().items():
                res.parts.setdefault(part, []).append(seconds)
        results.append(res)
    return results
