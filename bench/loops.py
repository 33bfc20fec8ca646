"""Core vs torch.optim vs a bare numpy loop: the same trajectories, timed side by side.

Every contender evaluates the same gradient formula, Rosenbrock's (``rosenbrock_grad``), on its
current parameters, for ``n`` starting points at once (one ``(n, 2)`` array):

- core: :func:`adagrad_core.runner.run`, which records params, grads, updates, eff_lr and every
  state array, and checks the whole run for divergence;
- torch: a ``torch.optim.<Optimizer>`` loop as a torch user writes it: float64, its default CPU
  implementation (the single-tensor for-loop one), the gradient formula written in torch ops
  (:func:`rosenbrock_grad_torch`: the same operations in the same order, so it agrees with the
  numpy one to the last bit) and set as ``p.grad``; every step the params, the gradient and every
  state tensor are copied into preallocated numpy arrays, as the core records them. This is the
  budgeted ratio;
- torch_np: the same loop fed the numpy gradient (``torch.from_numpy``) instead: torch's
  optimizer overhead alone, with the cheaper numpy gradient shared by both. Reported for
  information, as the stricter comparison;
- bare: the update written inline in numpy, recording only the params (the floor for any
  Python loop over time steps).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from adagrad_core.runner import run
from adagrad_core.surfaces import rosenbrock_grad

try:
    import torch
except ImportError:  # torch is a dev-only dependency
    torch = None

# torch.optim names and hyper-parameters; chosen so that no start leaves the surface in 500
# steps (the core stops a diverging start, torch does not: the runs would no longer compare).
HPARAMS: dict[str, dict] = {
    "sgd": dict(lr=1e-4, momentum=0.9),
    "adagrad": dict(lr=0.1),
    "rmsprop": dict(lr=1e-3),
    "adam": dict(lr=1e-2),
    "adamw": dict(lr=1e-2),
    "adadelta": dict(lr=1.0),
}
TORCH_CLASS = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "adadelta": "Adadelta",
}


def starts(n: int, seed: int = 0) -> np.ndarray:
    """``n`` starting points on Rosenbrock, uniform in [-1.5, 1.5] x [-0.5, 2.5]."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-1.5, 1.5, n), rng.uniform(-0.5, 2.5, n)])


# --- the three contenders ----------------------------------------------------------------------


def run_core(name: str, x0: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    traj = run(name, rosenbrock_grad, x0, steps, **HPARAMS[name])
    if traj.diverged_at is not None:
        raise RuntimeError(f"{name} diverged at step {traj.diverged_at}: pick a smaller lr")
    return {"params": traj.params, "grads": traj.grads, **traj.state}


def rosenbrock_grad_torch(p: torch.Tensor) -> torch.Tensor:
    """:func:`adagrad_core.surfaces.rosenbrock_grad`, operation for operation, in torch."""
    x, y = p[..., 0], p[..., 1]
    r = y - x**2
    return torch.stack((-2 * (1 - x) - 400 * x * r, 200 * r), dim=-1)


def _torch_loop(name: str, x0: np.ndarray, steps: int, numpy_grad: bool) -> dict[str, np.ndarray]:
    if torch is None:
        raise RuntimeError("torch is not installed")
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, TORCH_CLASS[name])([p], **HPARAMS[name])
    rec = {"params": np.empty((steps + 1, *x0.shape)), "grads": np.empty((steps, *x0.shape))}
    rec["params"][0] = x0
    state = opt.state[p]
    for t in range(steps):
        if numpy_grad:
            g = torch.from_numpy(rosenbrock_grad(p.detach().numpy()))
        else:
            with torch.no_grad():
                g = rosenbrock_grad_torch(p)
        p.grad = g
        opt.step()
        rec["params"][t + 1] = p.detach().numpy()
        rec["grads"][t] = g.numpy()
        for key, value in state.items():
            if key == "step":
                continue
            if key not in rec:
                rec[key] = np.empty((steps, *value.shape))
            rec[key][t] = value.numpy()
    return rec


def run_torch(name: str, x0: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    return _torch_loop(name, x0, steps, numpy_grad=False)


def run_torch_np(name: str, x0: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    return _torch_loop(name, x0, steps, numpy_grad=True)


def _bare_sgd(x, steps, P, *, lr, momentum):
    buf = None
    for t in range(steps):
        g = rosenbrock_grad(x)
        buf = g if buf is None else momentum * buf + g
        x = x + -lr * buf
        P[t + 1] = x


def _bare_adagrad(x, steps, P, *, lr, eps=1e-10):
    G = np.zeros_like(x)
    for t in range(steps):
        g = rosenbrock_grad(x)
        G = G + g * g
        x = x + (-lr * g) / (np.sqrt(G) + eps)
        P[t + 1] = x


def _bare_rmsprop(x, steps, P, *, lr, alpha=0.99, eps=1e-8):
    v = np.zeros_like(x)
    for t in range(steps):
        g = rosenbrock_grad(x)
        v = v * alpha + (1 - alpha) * g * g
        x = x + (-lr * g) / (np.sqrt(v) + eps)
        P[t + 1] = x


def _bare_adam(x, steps, P, *, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = rosenbrock_grad(x)
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        upd = (-lr / (1 - b1**t) * m) / denom
        # AdamW's decoupled decay, in the core's (and torch's) order of operations
        x = x + ((x * (1 - lr * wd) - x) + upd) if wd else x + upd
        P[t] = x


def _bare_adadelta(x, steps, P, *, lr, rho=0.9, eps=1e-6):
    v = np.zeros_like(x)
    u = np.zeros_like(x)
    for t in range(steps):
        g = rosenbrock_grad(x)
        v = v * rho + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = u * rho + (1 - rho) * delta * delta
        x = x + -lr * delta
        P[t + 1] = x


_BARE: dict[str, Callable] = {
    "sgd": _bare_sgd,
    "adagrad": _bare_adagrad,
    "rmsprop": _bare_rmsprop,
    "adam": _bare_adam,
    "adamw": lambda x, steps, P, lr: _bare_adam(x, steps, P, lr=lr, wd=1e-2),
    "adadelta": _bare_adadelta,
}


def run_bare(name: str, x0: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    P = np.empty((steps + 1, *x0.shape))
    P[0] = x0
    _BARE[name](x0.copy(), steps, P, **HPARAMS[name])
    return {"params": P}


def run_grad_only(name: str, x0: np.ndarray, steps: int) -> None:
    """The gradient evaluations alone (at a fixed point): the floor every contender shares."""
    for _ in range(steps):
        rosenbrock_grad(x0)


CONTENDERS: dict[str, Callable[[str, np.ndarray, int], dict[str, np.ndarray]]] = {
    "core": run_core,
    "torch": run_torch,
    "torch_np": run_torch_np,
    "bare": run_bare,
}


# --- comparing and timing ----------------------------------------------------------------------


def max_diff(
    a: dict[str, np.ndarray], b: dict[str, np.ndarray], steps: int | None = None
) -> tuple[float, list[str]]:
    """Largest difference, relative to max(1, |value|), over the arrays both runs recorded (in
    their first ``steps`` steps if given), and the names of those arrays."""
    shared = [k for k in a if k in b]
    worst = 0.0
    for k in shared:
        x, y = a[k][:steps], b[k][:steps]
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(x)))))
    return worst, shared


EARLY_STEPS = 100
"""Rounding differences (torch fuses some operations differently) stay at ~1e-13 for about
this many steps; on Rosenbrock's curved valley some runs then amplify them (Adadelta, lr=1:
1e-8 at step 200, 1e-2 at step 300), so agreement is judged on these first steps."""


@dataclass
class LoopResult:
    name: str
    times: dict[str, list[float]]  # contender (or "grad": gradients alone) -> seconds per repeat
    diff: dict[str, float]  # "torch" / "bare" -> max relative difference from the core
    diff_early: dict[str, float]  # the same over the first EARLY_STEPS steps
    compared: dict[str, list[str]]  # which recorded arrays were compared

    def best(self, who: str) -> float:
        return min(self.times[who])

    def median(self, who: str) -> float:
        return statistics.median(self.times[who])


def compare(
    names: list[str], n_starts: int, steps: int, repeats: int, use_torch: bool = True
) -> list[LoopResult]:
    """Run every contender on every optimizer ``repeats`` times (interleaved), check that the
    trajectories agree, and return the timings."""
    if use_torch and torch is not None:
        torch.set_num_threads(1)
    has_torch = use_torch and torch is not None
    who = [w for w in CONTENDERS if has_torch or not w.startswith("torch")]
    x0 = starts(n_starts)
    results = []
    for name in names:
        runs = {w: CONTENDERS[w](name, x0, steps) for w in who}  # warm-up, and the check
        diff, diff_early, compared = {}, {}, {}
        for w in who[1:]:
            diff[w], compared[w] = max_diff(runs["core"], runs[w])
            diff_early[w], _ = max_diff(runs["core"], runs[w], EARLY_STEPS)
        times: dict[str, list[float]] = {w: [] for w in [*who, "grad"]}
        for _ in range(repeats):
            for w in [*who, "grad"]:
                fn = run_grad_only if w == "grad" else CONTENDERS[w]
                t0 = time.perf_counter()
                fn(name, x0, steps)
                times[w].append(time.perf_counter() - t0)
        results.append(LoopResult(name, times, diff, diff_early, compared))
    return results
