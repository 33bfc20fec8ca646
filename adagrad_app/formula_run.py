r"""The formula page's run, as pure functions: Adagrad from the core and every term of its rule.

No streamlit here. :func:`simulate` runs Adagrad for the page's settings and returns a
:class:`FormulaRun`; :func:`step_terms` turns a core :class:`~adagrad_core.runner.Trajectory`
into one array per term of Adagrad's rule (shape ``(steps, d)``). Steps are counted from 1, as
on the Trajectories page and in the paper: step ``t`` takes ``theta_t`` to ``theta_{t+1}``, its
numbers sit in row ``t - 1`` of each array. The rule's KaTeX is :mod:`.formula_tex`'s, the
sentences about a run :mod:`.claims_formula`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adagrad_core.surfaces import SURFACES

PLACEMENTS = ("outside", "inside")
MAX_STEPS = 200
SPARSE_SEED = 122  # a stream whose rare feature first appears at step 8, after the frequent one


@dataclass(frozen=True)
class FormulaRun:
    """One Adagrad run of the formula page, cut before the step at which it was stopped.

    ``terms`` is :func:`step_terms`'s (one row per completed step), ``path`` the points
    ``theta_1 .. theta_{done+1}``; ``diverged_at`` the step (from 1) at which the run was
    stopped, or None; ``w_true`` the sparse stream's true weights (None on a surface)."""

    terms: Mapping[str, np.ndarray]
    path: np.ndarray
    diverged_at: int | None
    names: tuple[str, ...]
    lr: float
    eps: float
    eps_at: str
    acc0: float
    lr_decay: float
    w_true: tuple[float, ...] | None = None

    @property
    def done(self) -> int:
        """How many steps completed (rows of ``terms``)."""
        return int(self.terms["g"].shape[0])


def simulate(
    *,
    run_on: str = "surface",
    surface: str = "quadratic",
    x0: float = -5.0,
    y0: float = -2.0,
    seed: int = SPARSE_SEED,
    lr: float = 1.0,
    eps: float = 1e-10,
    eps_at: str = "outside",
    acc0: float = 0.0,
    lr_decay: float = 0.0,
    steps: int = 30,
) -> FormulaRun:
    """Adagrad's run from the core for the page's settings, and every term of its rule."""
    from adagrad_core.runner import run

    hp = {
        "lr": lr,
        "eps": eps,
        "eps_placement": eps_at,
        "initial_accumulator_value": acc0,
        "lr_decay": lr_decay,
    }
    w_true = None
    if run_on == "sparse":
        names = SPARSE_NAMES
        traj, w = sparse_trajectory(steps, seed=seed, **hp)
        w_true = tuple(float(v) for v in w)
    else:
        names = ("x", "y")
        s = SURFACES[surface]
        traj = run("adagrad", s.grad, [x0, y0], steps, loss_fn=s.value, **hp)
    terms = step_terms(traj, eps=eps, eps_placement=eps_at, initial_accumulator_value=acc0)
    done = traj.last  # the runner's rule: the steps before the one at which it was stopped
    return FormulaRun(
        terms={k: v[:done] for k, v in terms.items()},
        path=traj.params[: done + 1],
        diverged_at=traj.diverged_at,
        names=names,
        lr=lr,
        eps=eps,
        eps_at=eps_at,
        acc0=acc0,
        lr_decay=lr_decay,
        w_true=w_true,
    )


def step_terms(traj, *, eps: float, eps_placement: str, initial_accumulator_value: float = 0.0):
    """Every term of Adagrad's rule at every step of ``traj``, as ``{term: (steps, d) array}``.

    ``theta``, ``g``, ``G`` (after the step), ``eff_lr`` and ``update`` are the core's own
    arrays; ``G_prev`` shifts ``G`` by one step (the initial accumulator first); ``denom`` is
    the core's own too (:func:`_core_denom`); ``lr`` is the rate of each step,
    ``η / (1 + (t - 1) lr_decay)`` at step ``t`` (torch's decay; η when it is 0). ``eps`` and
    ``eps_placement`` name the run's own settings (``ValueError`` if they are not).
    """
    if eps_placement not in PLACEMENTS:
        raise ValueError(f"Invalid eps_placement: {eps_placement!r} (must be one of {PLACEMENTS})")
    ran = {k: traj.hparams.get(k) for k in ("eps", "eps_placement")}
    if ran != {"eps": eps, "eps_placement": eps_placement}:
        raise ValueError(f"eps={eps!r}, eps_placement={eps_placement!r} are not the run's {ran}")
    G = traj.state["sum"]
    first = np.full_like(G[:1], initial_accumulator_value)
    G_prev = np.concatenate([first, G[:-1]])
    return {
        "theta": traj.params[:-1],
        "g": traj.grads,
        "g2": traj.grads**2,
        "G_prev": G_prev,
        "G": G,
        "denom": _core_denom(traj, G_prev),
        "lr": _step_lr(traj.hparams["lr"], traj.hparams.get("lr_decay", 0.0), G),
        "eff_lr": traj.eff_lr,
        "update": traj.updates,
        "theta_new": traj.params[1:],
    }


def _core_denom(traj, G_prev: np.ndarray) -> np.ndarray:
    """The denominator of every step of ``traj`` as the core's Adagrad update computes it (its
    ``extras["denom"]``, with the eps placement of the run): the update is called once more on
    each step's own gradient, accumulator before it and point, all steps at once."""
    from adagrad_core.optimizers import AdagradState
    from adagrad_core.runner import get_optimizer

    opt = get_optimizer(traj.optimizer)
    _, upd_kw = opt.split(traj.hparams)
    step = np.arange(traj.steps).reshape(-1, *[1] * (G_prev.ndim - 1))  # steps done before
    with np.errstate(all="ignore"):
        _, _, extras = opt.update(
            traj.grads, AdagradState(step, G_prev), traj.params[:-1], **upd_kw
        )
    return extras["denom"]


def _step_lr(lr: float, lr_decay: float, like: np.ndarray) -> np.ndarray:
    """ηₜ for every row of ``like``: the core's ``lr / (1 + (step - 1) * lr_decay)``."""
    t = np.arange(1, like.shape[0] + 1, dtype=float).reshape(-1, *([1] * (like.ndim - 1)))
    return np.broadcast_to(lr / (1 + (t - 1) * lr_decay), like.shape).astype(float)


SPARSE_PROBS = (0.5, 0.05)
"""The sparse run's two binary features: on in half of the examples, and in one in twenty."""
SPARSE_NAMES = ("frequent", "rare")


def sparse_trajectory(steps: int, *, seed: int = 0, **hparams):
    """Adagrad on a stream of two-feature examples, one example per step (squared loss).

    The examples come from :func:`adagrad_core.sparse.make_data` (linear model, label noise
    0.1); step ``t`` sees example ``t``, whose gradient ``(x . w - y) x`` is exactly zero for a
    feature that is off. Returns the core's :class:`~adagrad_core.runner.Trajectory` (from
    ``w = 0``) and the true weights.
    """
    from adagrad_core import sparse
    from adagrad_core.runner import run

    probs = sparse.feature_probs("custom", probs=list(SPARSE_PROBS))
    data = sparse.make_data(probs, n_examples=max(steps, 1), model="linear", noise=0.1, seed=seed)
    X, y = data.X.astype(float), data.y
    examples = iter(range(data.n_examples))

    def grad(w: np.ndarray) -> np.ndarray:
        k = next(examples)  # the runner asks for exactly one gradient per step, in order
        return (X[k] @ w - y[k]) * X[k]

    traj = run("adagrad", grad, np.zeros(len(probs)), steps, **hparams)
    return traj, data.w_true
