"""Sparse-feature simulation (adagrad_core.sparse), timed at the core, without Streamlit.

- default view: what pages/sparse-features.py computes on a cache miss with its default settings
  (the values below mirror its SCHEMA): the example stream, the SGD/Adagrad run and the
  batch-size sweep (which reuses that run for its batch size, as the page's does);
- large: 1000 features x 20 000 examples, batch size 1 (the most steps any setting asks for).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from dataclasses import dataclass

DEFAULT = dict(features=100, exponent=1.0, examples=4096, batch=8, sweep=(1, 4, 8, 16, 64, 256))
HPARAMS = {"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}}


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


def view(features: int, examples: int, batch: int, sweep: tuple[int, ...] | None) -> dict:
    """Seconds for each part of one view computed from scratch."""
    from adagrad_core import sparse

    probs = sparse.feature_probs("zipf", n_features=features, exponent=DEFAULT["exponent"])
    data, t_data = _time(lambda: sparse.make_data(probs, n_examples=examples, seed=0))
    run, t_run = _time(lambda: sparse.simulate(data, batch_size=batch, hparams=HPARAMS))
    _, t_summary = _time(lambda: sparse.summarize(run))
    parts = {"data": t_data, "run": t_run + t_summary}
    if sweep:  # as the page calls it: its own run stands for its batch size
        _, parts["sweep"] = _time(
            lambda: sparse.batch_sweep(data, batch_sizes=sweep, hparams=HPARAMS, runs=(run,))
        )
    parts["total"] = sum(parts.values())
    return parts


def measure(repeats: int, quick: bool = False) -> list[SparseResult]:
    d = DEFAULT
    cases = [(d["features"], d["examples"], d["batch"], d["sweep"]), (1000, 20_000, 1, None)]
    if quick:  # keep the code path, not the size
        cases = [(20, 512, b, s and (1, 8)) for _, _, b, s in cases]
    results = []
    for (features, examples, batch, sweep), kind in zip(
        cases, ("default view", "large"), strict=True
    ):
        label = f"{kind}: {features} features x {examples} examples, B={batch}"
        label += ", with sweep" if sweep else ""
        res = SparseResult(label, {})
        for _ in range(repeats):
            for part, seconds in view(features, examples, batch, sweep).items():
                res.parts.setdefault(part, []).append(seconds)
        results.append(res)
    return results
