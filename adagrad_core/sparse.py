r"""Sparse binary features, each with its own frequency, learned by SGD and Adagrad side by side.

The setting of the Adagrad paper's motivation (Duchi, Hazan & Singer, 2011, section 1): most
features are rare, and the rare ones are often the informative ones. Each example is a row of
``d`` binary features; feature *i* is on with probability :math:`p_i` independently. Labels come
from true weights :math:`w^*`:

* ``linear``:   :math:`y = x \cdot w^* + \sigma\,\xi`, squared loss
  :math:`\tfrac12 (x\cdot w - y)^2`;
* ``logistic``: :math:`y \sim \text{Bernoulli}(\text{sigmoid}(x\cdot w^*))`, flipped with
  probability ``noise``; log loss.

Either way the gradient of one example is :math:`r\,x` with residual :math:`r` (prediction minus
label), so a feature that is off has gradient exactly zero. With a mini-batch of ``B`` examples
(mean reduction) feature *i*'s gradient is non-zero only in steps whose batch contains it, which
happens with probability :math:`q_i = 1 - (1 - p_i)^B`. Adagrad's accumulator therefore counts
only those steps:

.. math::
    G_i = \sum_{t:\,g_{t,i}\neq 0} g_{t,i}^2 \approx n_i\,\overline{g_i^2}, \qquad
    \text{eff\_lr}_i = \frac{\eta}{\sqrt{G_i}+\epsilon}
    \approx \frac{\eta}{\sqrt{n_i\,\overline{g_i^2}}}

In words: G is (number of steps in which the feature was adjusted) x (its mean squared gradient
in those steps); that count is where the feature's frequency hides. With ``B`` examples per
step, the gradient of a feature present in ``k`` of them is the sum of ``k`` residuals over
``B``, so, while the residuals are mostly noise, :math:`G_i \approx (\text{occurrences of } i)
\cdot \overline{r^2} / B^2` for rare and frequent features alike (:func:`predicted_eff_lr`).

Every optimizer runs through ``OPTIMIZERS[name].init/update`` from :mod:`.optimizers` (there is
no second implementation here), all of them on the same stream of examples drawn from ``seed``.
Histories are recorded at no more than ``max_records`` evenly spaced steps, so 1000 features x
20 000 examples stays small.

Example::

    >>> data = make_data(feature_probs("two_groups", n_features=20), n_examples=2000, seed=0)
    >>> out = simulate(data, batch_size=1, hparams={"sgd": {"lr": 0.1}, "adagrad": {"lr": 0.5}})
    >>> s = summarize(out)
    >>> bool(s["adagrad"]["eff_lr_ratio"] > 3)  # rare features get a larger step
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import divergence
from .optimizers import OPTIMIZERS

PRESETS = ("zipf", "two_groups", "custom")
MODELS = ("linear", "logistic")
MAX_FEATURES = 1000
MIN_ZIPF_FEATURES = 20
MAX_CUSTOM_FEATURES = 8
MAX_EXAMPLES = 20_480
MAX_NOISE = 10.0
MAX_RECORDS = 200
SWEEP_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_BOUND = 1e3
"""A run is stopped once a weight leaves [-bound, bound] or is not finite (true weights are at
most 1.5 in size, so a weight past 1000 means the run has diverged)."""
_CHUNK = 2048  # rows of X drawn at once: bounds the float32 scratch memory
_CHUNK_FLOATS = 1 << 16  # simulate makes this many entries of X float at once (512 kB)
_ELEMENTWISE = ("sgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta")


# --- Feature frequencies -----------------------------------------------------------------------


def _int_in(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer in [{lo}, {hi}])")
    if not lo <= value <= hi:
        raise ValueError(f"Invalid {name}: {value} (must be in [{lo}, {hi}])")
    return int(value)


def _float_in(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"Invalid {name}: {value!r} (must be a number)")
    try:
        v = float(value)
    except OverflowError:  # an int too large for a float
        v = math.inf
    ok = math.isfinite(v) and (lo < v if lo_open else lo <= v) and v <= hi
    if not ok:
        interval = f"({lo:g}, {hi:g}]" if lo_open else f"[{lo:g}, {hi:g}]"
        raise ValueError(f"Invalid {name}: {value!r} (must be in {interval})")
    return v


def check_probs(probs: Any) -> np.ndarray:
    """``probs`` as a float array, or ``ValueError``: 1..MAX_FEATURES values, each in (0, 1]."""
    try:
        p = np.array(probs, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"Invalid probs: {probs!r} (must be numbers in (0, 1])") from None
    if p.ndim != 1 or not 1 <= p.size <= MAX_FEATURES:
        raise ValueError(
            f"Invalid probs: shape {p.shape} (need between 1 and {MAX_FEATURES} features)"
        )
    if not (np.isfinite(p).all() and (p > 0).all() and (p <= 1).all()):
        bad = p[~(np.isfinite(p) & (p > 0) & (p <= 1))][0]
        raise ValueError(f"Invalid probs: {bad!r} (each occurrence probability must be in (0, 1])")
    return p


def zipf_probs(n_features: int, *, exponent: float = 1.0, p_max: float = 0.5) -> np.ndarray:
    """Power law: feature *i* (from 0) occurs with probability ``p_max / (i + 1) ** exponent``."""
    d = _int_in("n_features", n_features, MIN_ZIPF_FEATURES, MAX_FEATURES)
    a = _float_in("exponent", exponent, 0.0, 3.0)
    pm = _float_in("p_max", p_max, 0.0, 1.0, lo_open=True)
    return pm / np.arange(1, d + 1) ** a


def two_group_probs(
    n_features: int, *, p_frequent: float = 0.5, p_rare: float = 0.01, rare_share: float = 0.5
) -> np.ndarray:
    """Frequent features first (probability ``p_frequent``), then rare ones (``p_rare``)."""
    d = _int_in("n_features", n_features, 2, MAX_FEATURES)
    pf = _float_in("p_frequent", p_frequent, 0.0, 1.0, lo_open=True)
    pr = _float_in("p_rare", p_rare, 0.0, 1.0, lo_open=True)
    share = _float_in("rare_share", rare_share, 0.0, 1.0)
    n_rare = min(max(round(share * d), 1), d - 1)
    return np.concatenate([np.full(d - n_rare, pf), np.full(n_rare, pr)])


def feature_probs(preset: str, **kwargs: Any) -> np.ndarray:
    """Occurrence probabilities of a preset: ``zipf`` (:func:`zipf_probs`), ``two_groups``
    (:func:`two_group_probs`) or ``custom`` (``probs=[...]``, 1 to MAX_CUSTOM_FEATURES values)."""
    if preset == "zipf":
        return zipf_probs(**kwargs)
    if preset == "two_groups":
        return two_group_probs(**kwargs)
    if preset == "custom":
        if set(kwargs) != {"probs"}:
            raise ValueError("Invalid custom preset: pass exactly probs=[...]")
        p = check_probs(kwargs["probs"])
        if p.size > MAX_CUSTOM_FEATURES:
            raise ValueError(
                f"Invalid probs: {p.size} features (custom allows at most {MAX_CUSTOM_FEATURES})"
            )
        return p
    raise ValueError(f"Invalid preset: {preset!r} (allowed: {', '.join(PRESETS)})")


def frequency_split(probs: Any) -> float:
    """The probability below which a feature counts as rare: the geometric mean of the
    smallest and largest probability."""
    p = check_probs(probs)
    return math.sqrt(p.min() * p.max())


def frequency_groups(probs: Any) -> tuple[np.ndarray, np.ndarray]:
    """(rare, frequent) boolean masks, split at :func:`frequency_split`. When all features are
    within a factor 2 of each other, nothing is rare."""
    p = check_probs(probs)
    if p.max() < 2 * p.min():
        return np.zeros(p.size, dtype=bool), np.ones(p.size, dtype=bool)
    rare = p < frequency_split(p)
    return rare, ~rare


def batch_presence(probs: Any, batch_size: int) -> np.ndarray:
    """Chance that a batch of ``batch_size`` examples contains feature *i*: 1 - (1 - p_i)^B."""
    p = check_probs(probs)
    b = _int_in("batch_size", batch_size, 1, MAX_EXAMPLES)
    return -np.expm1(b * np.log1p(-np.minimum(p, 1 - 1e-16)))


# --- The data stream -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SparseData:
    """A stream of examples: ``X`` is ``(n, d)`` bool, ``y`` is ``(n,)``."""

    X: np.ndarray
    y: np.ndarray
    probs: np.ndarray
    w_true: np.ndarray
    model: str
    noise: float
    seed: int

    @property
    def n_examples(self) -> int:
        return self.X.shape[0]

    def head(self, n: int) -> SparseData:
        """The first ``n`` examples (the same stream, cut short)."""
        n = _int_in("n", n, 1, self.n_examples)
        return SparseData(
            self.X[:n], self.y[:n], self.probs, self.w_true, self.model, self.noise, self.seed
        )


def make_data(
    probs: Any,
    *,
    n_examples: int = 5120,
    model: str = "linear",
    noise: float = 0.5,
    seed: int = 0,
) -> SparseData:
    """Draw ``n_examples`` examples with feature *i* on with probability ``probs[i]``.

    True weights have random signs and magnitudes in [0.5, 1.5], so every weight starts at
    about the same distance from its target. ``noise`` is the standard deviation of the label
    noise (``linear``, at most MAX_NOISE) or the chance a label is flipped (``logistic``, at
    most 0.5). The same ``seed`` gives the same stream.
    """
    p = check_probs(probs)
    n = _int_in("n_examples", n_examples, 1, MAX_EXAMPLES)
    if model not in MODELS:
        raise ValueError(f"Invalid model: {model!r} (allowed: {', '.join(MODELS)})")
    noise = _float_in("noise", noise, 0.0, MAX_NOISE if model == "linear" else 0.5)
    seed = _int_in("seed", seed, 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    d = p.size
    w_true = rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 1.5, d)
    X = np.empty((n, d), dtype=bool)
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK, n)
        X[s:e] = rng.random((e - s, d), dtype=np.float32) < p
    z = X @ w_true
    if model == "linear":
        y = z + noise * rng.standard_normal(n)
    else:
        y = (rng.random(n) < _sigmoid(z)).astype(float)
        flip = rng.random(n) < noise
        y = np.where(flip, 1.0 - y, y)
    return SparseData(X, y, p, w_true, model, noise, seed)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warning for large |z|


def _logistic(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-example log loss and residual (d loss / d z) for logits ``z`` (B, K)."""
    # log(1 + e^z) - y z, written so it never overflows
    loss = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z
    return loss, _sigmoid(z) - y


# --- Training ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparseRun:
    """Histories of one training run, recorded at ``record_steps`` (``R`` points, step 0 first).

    Per optimizer name: ``w[name]`` and ``eff_lr[name]`` are ``(R, d)`` (``eff_lr`` is the
    multiplier of the latest step; row 0 repeats the first step's), ``loss[name]`` is ``(R-1,)``,
    the mean loss of the batches between two record points, each measured before the step that
    learns from it (so it is an honest out-of-sample estimate). ``accum`` is Adagrad's ``G``
    ``(R, d)`` when Adagrad ran. ``adjusted`` is ``(R, d)``: in how many steps so far the
    feature's gradient was non-zero (its batch contained it); ``occurrences`` counts examples.
    ``mean_sq_residual[name]`` is the mean of r^2 over every example seen (the mean squared
    gradient of a feature in one example). ``abs_step[name]`` is ``(d,)``: the sum of |step| a
    weight took. ``diverged_at[name]`` is the step at which a run was stopped, or None.
    """

    model: str
    batch_size: int
    steps: int
    optimizers: tuple[str, ...]
    hparams: dict[str, dict[str, Any]]
    probs: np.ndarray
    w_true: np.ndarray
    record_steps: np.ndarray
    w: dict[str, np.ndarray]
    eff_lr: dict[str, np.ndarray]
    loss: dict[str, np.ndarray]
    accum: np.ndarray | None
    adjusted: np.ndarray
    occurrences: np.ndarray
    mean_sq_residual: dict[str, float]
    abs_step: dict[str, np.ndarray]
    diverged_at: dict[str, int | None]

    @property
    def examples_seen(self) -> np.ndarray:
        """Examples seen at each record point: the fair clock across batch sizes."""
        return self.record_steps * self.batch_size

    @property
    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        return frequency_groups(self.probs)


def _resolve(optimizers: Sequence[str], hparams: Mapping[str, Mapping[str, Any]] | None):
    if isinstance(optimizers, str) or not isinstance(optimizers, Sequence):
        raise ValueError(f"Invalid optimizers: {optimizers!r} (must be a list of names)")
    names = tuple(optimizers)
    if not names:
        raise ValueError("Invalid optimizers: empty (give at least one, e.g. ('sgd', 'adagrad'))")
    for name in names:
        if name not in _ELEMENTWISE:
            raise ValueError(f"Invalid optimizer: {name!r} (allowed: {', '.join(_ELEMENTWISE)})")
    if len(set(names)) != len(names):
        raise ValueError(f"Invalid optimizers: {names!r} (each may appear once)")
    hparams = dict(hparams or {})
    extra = sorted(set(hparams) - set(names))
    if extra:
        raise ValueError(f"Invalid hparams: {extra[0]!r} is not among the optimizers {names}")
    return names, {n: OPTIMIZERS[n].resolve(hparams.get(n, {})) for n in names}


def simulate(
    data: SparseData,
    *,
    batch_size: int,
    optimizers: Sequence[str] = ("sgd", "adagrad"),
    hparams: Mapping[str, Mapping[str, Any]] | None = None,
    max_records: int = MAX_RECORDS,
    bound: float = DEFAULT_BOUND,
) -> SparseRun:
    """Train every optimizer on the same stream, ``batch_size`` examples per step.

    ``hparams[name]`` are ``torch.optim`` keywords for that optimizer (e.g. ``{"lr": 0.1}``),
    validated by the optimizer itself. The run takes ``n // batch_size`` steps (a last partial
    batch is dropped). An optimizer whose weights leave ``bound`` or stop being finite is
    stopped there (the core's rule, :mod:`.divergence`): its weights are frozen at their last
    good values and ``diverged_at`` names the step.
    """
    n, d = data.X.shape
    B = _int_in("batch_size", batch_size, 1, n)
    R = _int_in("max_records", max_records, 1, MAX_RECORDS)
    if not (isinstance(bound, (int, float)) and bound > 0 and not math.isnan(bound)):
        raise ValueError(f"Invalid bound: {bound!r} (must be > 0)")
    names, hp = _resolve(optimizers, hparams)
    steps = n // B
    rec = np.unique(np.linspace(0, steps, min(steps, R) + 1).round().astype(int))
    K = len(names)
    opts = [OPTIMIZERS[name] for name in names]
    kws = [opt.split(hp[name]) for opt, name in zip(opts, names, strict=True)]
    W = np.zeros((K, d))
    states = [opt.init(W[k], **kws[k][0]) for k, opt in enumerate(opts)]
    diverged: list[int | None] = [None] * K
    ada = names.index("adagrad") if "adagrad" in names else None

    w_hist = np.zeros((len(rec), K, d))
    lr_hist = np.zeros((len(rec), K, d))
    g_hist = np.zeros((len(rec), d)) if ada is not None else None
    abs_step = np.zeros((K, d))
    last_eff = [np.zeros(d) for _ in range(K)]
    X, Y = data.X, data.y[: steps * B].reshape(steps, B, 1)
    y_list = data.y[:steps].tolist() if B == 1 else None
    linear = data.model == "linear"
    # Residuals (and logits) of every step, kept for the losses, which are summed after the loop:
    # the loop does only what the next step depends on.
    res = np.empty((steps, B, K))
    logits = None if linear else np.empty((steps, B, K))
    updates = [opt.update for opt in opts]
    upd_kws = [kw[1] for kw in kws]
    live = list(range(K))
    U = np.zeros((K, d))  # this step's updates; rows of stopped optimizers stay zero
    WT = W.T  # a view, so it follows W's in-place updates
    w_flat = W.reshape(-1)  # a view of W
    sq_bound = divergence.screen(bound)
    chunk = max(1, _CHUNK_FLOATS // (B * d))  # steps whose examples are made float at once
    c0 = c1 = 0  # the steps whose examples are in Xc
    j, next_rec = 1, int(rec[1])  # the next record point
    with np.errstate(all="ignore"):
        for t in range(steps):
            if not c0 <= t < c1:
                c0, c1 = t, min(t + chunk, steps)
                Xc = X[c0 * B : c1 * B].reshape(c1 - c0, B, d).astype(float)
            xb = Xc[t - c0]
            # np.dot: the numbers of @, with less overhead on arrays this small
            z = np.dot(xb, WT)
            if linear:
                r = np.subtract(z, y_list[t] if B == 1 else Y[t], out=res[t])  # a float is quicker
            else:
                logits[t] = z
                r = np.subtract(_sigmoid(z), Y[t], out=res[t])
            grads = r.T * xb if B == 1 else np.dot(r.T / B, xb)
            for k in live:
                U[k], states[k], extras = updates[k](grads[k], states[k], W[k], **upd_kws[k])
                last_eff[k] = extras["eff_lr"]
            W += U
            abs_step += np.abs(U)
            # The divergence rule (divergence.escaped), behind its quick screen: no |w| passes
            # the bound while the sum of squares stays under its square (NaN and inf fail it
            # too). Only then is each optimizer's row looked at; one that left is stopped at
            # this step, its weights frozen at their last good values.
            if not np.dot(w_flat, w_flat) <= sq_bound:
                out = divergence.escaped(W, bound)
                for k in [k for k in live if out[k]]:
                    W[k] -= U[k]
                    U[k] = 0.0
                    abs_step[k] = np.nan_to_num(abs_step[k], posinf=0.0)
                    live.remove(k)
                    diverged[k] = t + 1
            if t == 0:
                lr_hist[0] = last_eff
            if t + 1 == next_rec:
                w_hist[j] = W
                lr_hist[j] = last_eff
                if g_hist is not None:
                    g_hist[j] = states[ada].sum
                j += 1
                next_rec = int(rec[j]) if j < len(rec) else -1

        # Per step, the summed loss and squared residual of its batch; then per record interval.
        sq = np.add.reduce(res * res, axis=1)  # (steps, K)
        loss = sq if linear else np.add.reduce(_logistic(logits, Y)[0], axis=1)
        loss_hist = np.add.reduceat(loss, rec[:-1], axis=0) / (np.diff(rec) * B)[:, None]
        if linear:
            loss_hist *= 0.5
        sq_sum = np.add.reduce(sq, axis=0)

    used = X[: steps * B].reshape(steps, B, d)
    adjusted = _cumulative_at(used.any(1), rec)
    occurrences = _cumulative_at(used.sum(1, dtype=np.int32), rec)
    seen = max(steps * B, 1)
    return SparseRun(
        model=data.model,
        batch_size=B,
        steps=steps,
        optimizers=names,
        hparams=hp,
        probs=data.probs,
        w_true=data.w_true,
        record_steps=rec,
        w={name: w_hist[:, k] for k, name in enumerate(names)},
        eff_lr={name: lr_hist[:, k] for k, name in enumerate(names)},
        loss={name: loss_hist[:, k] for k, name in enumerate(names)},
        accum=g_hist,
        adjusted=adjusted,
        occurrences=occurrences,
        mean_sq_residual={name: float(sq_sum[k] / seen) for k, name in enumerate(names)},
        abs_step={name: abs_step[k] for k, name in enumerate(names)},
        diverged_at=dict(zip(names, diverged, strict=True)),
    )


def _cumulative_at(per_step: np.ndarray, rec: np.ndarray) -> np.ndarray:
    """Running totals of ``per_step`` (steps, d) after each record step in ``rec``."""
    out = np.zeros((len(rec), per_step.shape[1]), dtype=np.int64)
    for i in range(1, len(rec)):
        np.add(out[i - 1], per_step[rec[i - 1] : rec[i]].sum(0), out=out[i])
    return out


# --- What the run says -------------------------------------------------------------------------


def predicted_eff_lr(run: SparseRun, name: str = "adagrad") -> np.ndarray:
    r"""Adagrad's final effective learning rate per feature, predicted from its frequency alone.

    .. math:: \text{eff\_lr}_i \approx \frac{\eta}{\sqrt{n_i\,\overline{g^2}}}, \quad
        n_i \approx q_i \cdot \text{steps}, \quad
        \overline{g^2} \approx \frac{E[k \mid k \geq 1]\,\overline{r^2}}{B^2}
        = \frac{p_i B\,\overline{r^2}}{q_i B^2}

    so :math:`G_i \approx p_i \cdot \text{examples} \cdot \overline{r^2} / B^2`: the expected
    number of examples containing the feature times the run's mean squared residual, over B^2.
    It treats the residuals as independent noise, which holds once the model has learnt.
    """
    lr = run.hparams[name]["lr"]
    G = run.probs * run.steps * run.batch_size * run.mean_sq_residual[name] / run.batch_size**2
    return lr / (np.sqrt(G) + run.hparams[name]["eps"])


def _gmean(a: np.ndarray) -> float:
    return float(np.exp(np.mean(np.log(a)))) if a.size else float("nan")


def summarize(run: SparseRun) -> dict[str, Any]:
    """End-of-run numbers per optimizer and per frequency group, for captions and sweeps.

    For each optimizer: ``rare_error`` / ``frequent_error`` (mean |w - w*| over the group),
    ``rare_eff_lr`` / ``frequent_eff_lr`` (geometric means over the group's features that were
    adjusted at least once: an unseen feature's rate is lr/ε, which says nothing about
    frequency) and their ratio ``eff_lr_ratio``,
    ``rare_step`` / ``frequent_step`` (mean |step| per adjustment), ``final_loss``. Top level:
    ``rare_adjusted`` / ``frequent_adjusted`` (fraction of steps in which the group's weights
    were adjusted), ``rare_adjustments`` / ``frequent_adjustments`` (in how many steps a weight of
    the group was adjusted, on average) and ``rare_presence`` / ``frequent_presence``
    (1 - (1 - p)^B, the formula).
    Values for an empty group are NaN: callers check ``n_rare`` / ``n_frequent`` first.
    """
    rare, freq = run.groups
    adj = run.adjusted[-1]
    presence = batch_presence(run.probs, run.batch_size)
    out: dict[str, Any] = {
        "n_rare": int(rare.sum()),
        "n_frequent": int(freq.sum()),
        "steps": run.steps,
        "examples": run.steps * run.batch_size,
        "batch_size": run.batch_size,
        "rare_p": float(run.probs[rare].mean()) if rare.any() else float("nan"),
        "frequent_p": float(run.probs[freq].mean()),
        "rare_adjusted": float(adj[rare].mean() / max(run.steps, 1)) if rare.any() else math.nan,
        "frequent_adjusted": float(adj[freq].mean() / max(run.steps, 1)),
        "rare_presence": float(presence[rare].mean()) if rare.any() else math.nan,
        "frequent_presence": float(presence[freq].mean()),
    }
    seen = adj > 0  # a feature never seen keeps Adagrad's rate lr/ε: left out of the means
    out["rare_adjustments"] = float(adj[rare].mean()) if rare.any() else math.nan
    out["frequent_adjustments"] = float(adj[freq].mean())
    for name in run.optimizers:
        err = np.abs(run.w[name][-1] - run.w_true)
        eff = run.eff_lr[name][-1]
        step = run.abs_step[name] / np.maximum(adj, 1)
        s = {
            "rare_error": float(err[rare].mean()) if rare.any() else math.nan,
            "frequent_error": float(err[freq].mean()),
            "rare_eff_lr": _gmean(eff[rare & seen]),
            "frequent_eff_lr": _gmean(eff[freq & seen]),
            "rare_step": float(step[rare & (adj > 0)].mean()) if (rare & (adj > 0)).any() else 0.0,
            "frequent_step": float(step[freq & (adj > 0)].mean())
            if (freq & (adj > 0)).any()
            else 0.0,
            "final_loss": float(run.loss[name][-1]) if run.loss[name].size else math.nan,
            "diverged_at": run.diverged_at[name],
        }
        s["eff_lr_ratio"] = s["rare_eff_lr"] / s["frequent_eff_lr"]
        out[name] = s
    return out


# --- Batch-size sweep --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSweep:
    """End-of-run numbers for several batch sizes, every run on the same ``examples`` examples.

    ``metrics[name][key]`` is an array over ``batch_sizes`` for each per-optimizer key of
    :func:`summarize`; ``groups[key]`` likewise for its top-level keys. ``hparams[name]``: the
    hyper-parameters every run used, defaults filled in.
    """

    batch_sizes: np.ndarray
    examples: int
    optimizers: tuple[str, ...]
    metrics: dict[str, dict[str, np.ndarray]]
    groups: dict[str, np.ndarray]
    hparams: dict[str, dict[str, Any]]


def batch_sweep(
    data: SparseData,
    *,
    batch_sizes: Sequence[int] = SWEEP_BATCHES,
    optimizers: Sequence[str] = ("sgd", "adagrad"),
    hparams: Mapping[str, Mapping[str, Any]] | None = None,
    runs: Sequence[SparseRun] = (),
) -> BatchSweep:
    """Run :func:`simulate` for each batch size on the same first ``examples`` examples.

    Counting examples seen rather than steps keeps the comparison fair: a batch of 64 takes 64
    times fewer steps over the same data. Batch sizes larger than the data are dropped; the
    examples used are the largest multiple of the largest batch size, so no run drops a tail.

    ``runs``: runs that :func:`simulate` already made on this very ``data`` (say, the page's
    own run). One that trained these optimizers with these hyper-parameters on all of the
    sweep's examples stands for its batch size instead of being run again (at B = 1 that is
    most of the sweep's time); the others are ignored. Which data a run was made on is the
    caller's promise: only its model, probabilities and true weights are checked.
    """
    sizes = sorted({_int_in("batch_size", b, 1, MAX_EXAMPLES) for b in batch_sizes})
    sizes = [b for b in sizes if b <= data.n_examples]
    if not sizes:
        raise ValueError(
            f"Invalid batch_sizes: {list(batch_sizes)} (none fits {data.n_examples} examples)"
        )
    examples = data.n_examples // sizes[-1] * sizes[-1]
    head = data.head(examples)
    names, hp = _resolve(optimizers, hparams)
    done = {run.batch_size: run for run in runs if _same_training(run, head, names, hp)}
    rows = [
        summarize(
            done.get(b) or simulate(head, batch_size=b, optimizers=names, hparams=hp, max_records=1)
        )
        for b in sizes
    ]
    # (final_loss is left out: it is the mean over a run's last record interval, whose length
    # depends on how many points a run recorded)
    per_opt_keys = [k for k in rows[0][names[0]] if k not in ("diverged_at", "final_loss")]
    metrics = {
        n: {k: np.array([row[n][k] for row in rows], dtype=float) for k in per_opt_keys}
        for n in names
    }
    for n in names:
        metrics[n]["diverged"] = np.array([row[n]["diverged_at"] is not None for row in rows])
    top = [k for k, v in rows[0].items() if not isinstance(v, dict)]
    groups = {k: np.array([row[k] for row in rows], dtype=float) for k in top}
    return BatchSweep(np.array(sizes), examples, names, metrics, groups, hp)


def _same_training(run: SparseRun, data: SparseData, names: tuple[str, ...], hp: dict) -> bool:
    """Did ``run``, made on the stream that ``data`` begins, train ``names`` with ``hp`` on
    exactly the examples of ``data``?"""
    return (
        run.steps * run.batch_size == data.n_examples
        and run.model == data.model
        and np.array_equal(run.probs, data.probs)
        and np.array_equal(run.w_true, data.w_true)
        and all(n in run.optimizers and run.hparams[n] == hp[n] for n in names)
    )


# --- SGD at its best -----------------------------------------------------------------------------

SGD_RATES = tuple(float(x) for x in np.geomspace(0.01, 2.0, 16).round(4))
"""The learning rates :func:`sgd_rate_sweep` tries by default: 16 values, evenly spaced on a log
scale from 0.01 to 2 (the SGD slider's range, less its slowest hundredth)."""


@dataclass(frozen=True)
class RateSweep:
    """Plain SGD (``w -= lr * g``) trained once per learning rate on the same stream.

    ``rare_error`` / ``frequent_error`` are the groups' mean |w - w*| at the end, over
    ``lrs``; ``diverged[i]`` says whether the run at ``lrs[i]`` left the bound (its errors are
    then NaN, and ``stopped_at[i]`` is the step). ``rare_history`` / ``frequent_history`` are
    the same errors at ``record_steps`` (as :func:`simulate` records them), frozen at a
    diverged run's last finite weights. ``best`` is the index of the best rate by
    :attr:`score`, or None when every rate diverged.
    """

    lrs: np.ndarray
    batch_size: int
    rare_error: np.ndarray
    frequent_error: np.ndarray
    diverged: np.ndarray
    record_steps: np.ndarray  # as in simulate: the steps at which the histories were recorded
    rare_history: np.ndarray  # (R, K): each group's mean |w - w*| at the record steps
    frequent_history: np.ndarray
    stopped_at: np.ndarray  # (K,): the step a diverged run was stopped at, else -1

    @property
    def score(self) -> np.ndarray:
        """The criterion: the mean of the two groups' errors (each group counts once, however
        many features it holds); with no rare group, the frequent group's error."""
        if np.isnan(self.rare_error).all() and not self.diverged.all():
            return self.frequent_error
        return (self.rare_error + self.frequent_error) / 2

    @property
    def best(self) -> int | None:
        ok = ~self.diverged
        if not ok.any():
            return None
        score = np.where(ok, self.score, np.inf)
        return int(np.argmin(score))


def sgd_rate_sweep(
    data: SparseData,
    *,
    batch_size: int,
    lrs: Sequence[float] = SGD_RATES,
    bound: float = DEFAULT_BOUND,
    max_records: int = MAX_RECORDS,
) -> RateSweep:
    """Plain SGD at every rate in ``lrs`` at once, each on the stream that :func:`simulate` uses.

    One run per rate, vectorised: the weights are a ``(K, d)`` array updated as
    ``W -= lrs[:, None] * grads``, which is ``torch.optim.SGD``'s default update (and
    :func:`simulate`'s, to rounding). A run whose weights leave ``bound`` is stopped at that
    step and marked diverged, by :func:`simulate`'s rule (the core's, :mod:`.divergence`).
    """
    n, d = data.X.shape
    B = _int_in("batch_size", batch_size, 1, n)
    if isinstance(lrs, (str, bytes)) or not len(lrs):
        raise ValueError(f"Invalid lrs: {lrs!r} (must be a non-empty list of rates)")
    lr = np.array([_float_in("lr", x, 0.0, 1e3, lo_open=True) for x in lrs])
    R = _int_in("max_records", max_records, 1, MAX_RECORDS)
    steps = n // B
    rec = np.unique(np.linspace(0, steps, min(steps, R) + 1).round().astype(int))
    rare, freq = frequency_groups(data.probs)
    K = lr.size
    W = np.zeros((K, d))
    live = np.ones(K, bool)
    stopped_at = np.full(K, -1)
    hist = np.zeros((2, len(rec), K))

    # A stopped run's weights are kept here, and its row of W is zeroed: the quick screen then
    # sums the running rates only, and passes again once a rate has stopped.
    frozen = np.zeros((K, d))

    def record(j: int) -> None:
        err = np.abs(W + frozen - data.w_true)
        hist[0, j] = err[:, rare].mean(1) if rare.any() else np.nan
        hist[1, j] = err[:, freq].mean(1)

    record(0)
    j, next_rec = 1, int(rec[1]) if len(rec) > 1 else -1
    Y = data.y[: steps * B].reshape(steps, B)
    linear = data.model == "linear"
    chunk = max(1, _CHUNK_FLOATS // (B * d))
    step_lr = (lr / B)[:, None]
    w_flat = W.reshape(-1)  # a view of W
    sq_bound = divergence.screen(bound)
    with np.errstate(all="ignore"):
        for c0 in range(0, steps, chunk):
            c1 = min(c0 + chunk, steps)
            Xc = data.X[c0 * B : c1 * B].reshape(c1 - c0, B, d).astype(float)
            for t in range(c0, c1):
                xb = Xc[t - c0]
                z = np.dot(W, xb.T)  # (K, B)
                r = z - Y[t] if linear else _sigmoid(z) - Y[t]
                r *= step_lr  # a stopped rate's row of step_lr is 0: its row of W stays 0
                U = np.dot(r, xb)
                W -= U
                # simulate's rule and screen (divergence): stopped once a weight leaves the
                # bound (or NaN)
                if not np.dot(w_flat, w_flat) <= sq_bound:
                    out = live & divergence.escaped(W, bound)
                    W[out] += U[out]  # frozen at its last finite weights, as in simulate
                    frozen[out], W[out], step_lr[out] = W[out], 0.0, 0.0
                    live &= ~out
                    stopped_at[out] = t + 1
                if t + 1 == next_rec:
                    record(j)
                    j += 1
                    next_rec = int(rec[j]) if j < len(rec) else -1
    rare_err, freq_err = hist[0, -1].copy(), hist[1, -1].copy()
    rare_err[~live] = np.nan
    freq_err[~live] = np.nan
    return RateSweep(lr, B, rare_err, freq_err, ~live, rec, hist[0], hist[1], stopped_at)
