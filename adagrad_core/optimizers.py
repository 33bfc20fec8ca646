r"""Optimizers as pairs of pure functions over explicit, immutable state.

Each optimizer is an :class:`Optimizer` record with

* ``init(params) -> state``: a NamedTuple of arrays shaped like ``params``;
* ``update(grads, state, params, **hparams) -> (updates, state, extras)``: the step to add to
  ``params``, the new state (the old one is never mutated) and per-coordinate quantities worth
  recording (``eff_lr``: the multiplier applied to the step direction; Adagrad's also has
  ``denom``, the divisor √G + ε or √(G + ε), so that no caller repeats that line).

The six ``torch.optim`` optimizers follow its keyword names, defaults and order of floating-point
operations (torch 2.x, ``foreach=False``), so in float64 every step equals torch's to ~1e-12.

Adagrad (Duchi, Hazan & Singer, 2011, JMLR 12:2121-2159), per coordinate *i*:

.. math::
    G_{t,i} = G_{t-1,i} + g_{t,i}^2, \qquad
    \theta_{t+1,i} = \theta_{t,i} - \frac{\eta}{\sqrt{G_{t,i}} + \epsilon}\, g_{t,i}

In words: add the squared gradient to a running sum, and divide the step by its root. A
coordinate whose gradient is often zero (a rare feature) keeps a small sum and so a large step.
Known weakness: ``G`` only grows, so the step only shrinks (about ``lr / sqrt(t)`` under a
constant gradient); RMSprop and Adam replace the sum with a moving average.

Conventions (``eps`` placement and initial accumulator) differ between libraries:

==============  ====================  =======================  ===========
source          denominator           initial accumulator      default eps
==============  ====================  =======================  ===========
torch.optim     sqrt(G) + eps         0                        1e-10
paper (Duchi)   delta + sqrt(G)       0                        (delta)
d2l.ai          sqrt(G + eps)         0                        1e-6
Keras 3         sqrt(G + eps)         0.1                      1e-7
optax           sqrt(G + eps)         0.1                      1e-7
==============  ====================  =======================  ===========

Here ``eps_placement="outside"`` (default, torch and the paper) or ``"inside"`` (d2l, Keras,
optax), with ``initial_accumulator_value`` as a separate keyword.

Example::

    >>> import numpy as np
    >>> opt = OPTIMIZERS["adagrad"]
    >>> init_kw, kw = opt.split(opt.resolve({"lr": 0.1}))
    >>> state = opt.init(np.zeros(2), **init_kw)
    >>> upd, state, extras = opt.update(np.array([3.0, -0.5]), state, np.zeros(2), **kw)
    >>> upd.round(6).tolist()  # first step: lr * sign(g)
    [-0.1, 0.1]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """torch.lerp's formula, branch for branch, so moving averages round like torch's."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _prepare_grad(g: Array, params: Array, weight_decay: float, maximize: bool) -> Array:
    """The part every torch optimizer shares: flip for maximize, add L2 weight decay."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * params
    return g


# --- SGD (with momentum, dampening and Nesterov) ---------------------------------------------


class SGDState(NamedTuple):
    step: int
    momentum_buffer: Array


def sgd_init(params: Array) -> SGDState:
    return SGDState(0, np.zeros_like(params))


def sgd_update(g, state, params, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    g = _prepare_grad(g, params, weight_decay, maximize)
    buf = state.momentum_buffer
    if momentum != 0:
        if state.step == 0:
            buf = g.copy()
        else:  # torch: buf.mul_(momentum).add_(g, alpha=1 - dampening); alpha 1 is exact
            buf = momentum * buf + (g if dampening == 0 else (1 - dampening) * g)
        g = g + momentum * buf if nesterov else buf
    eff_lr = np.empty_like(g)
    eff_lr.fill(lr)  # faster than np.full_like for the small arrays of the app
    return -lr * g, SGDState(state.step + 1, buf), {"eff_lr": eff_lr}


# --- Adagrad: SGD plus one block ---------------------------------------------------------------


class AdagradState(NamedTuple):
    step: int
    sum: Array  # G: the running sum of squared gradients, one per coordinate


def adagrad_init(params: Array, initial_accumulator_value: float = 0.0) -> AdagradState:
    return AdagradState(0, np.full_like(params, initial_accumulator_value, dtype=float))


def adagrad_update(g, state, params, *, lr, lr_decay, weight_decay, eps, eps_placement, maximize):
    g = _prepare_grad(g, params, weight_decay, maximize)
    step = state.step + 1
    clr = lr / (1 + (step - 1) * lr_decay)
    # The one block that turns SGD into Adagrad: divide by the root of the accumulated squares.
    G = state.sum + g * g
    denom = np.sqrt(G) + eps if eps_placement == "outside" else np.sqrt(G + eps)
    return (-clr * g) / denom, AdagradState(step, G), {"eff_lr": clr / denom, "denom": denom}


# --- RMSprop -----------------------------------------------------------------------------------


class RMSpropState(NamedTuple):
    step: int
    square_avg: Array
    grad_avg: Array
    momentum_buffer: Array


def rmsprop_init(params: Array) -> RMSpropState:
    z = np.zeros_like(params, dtype=float)
    return RMSpropState(0, z, z, z)


def rmsprop_update(g, state, params, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    g = _prepare_grad(g, params, weight_decay, maximize)
    square_avg = state.square_avg * alpha + (1 - alpha) * g * g  # torch's addcmul order
    grad_avg = state.grad_avg
    if centered:
        grad_avg = _lerp(grad_avg, g, 1 - alpha)
        avg = np.sqrt(square_avg + (-1) * (grad_avg * grad_avg)) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    buf = state.momentum_buffer
    if momentum > 0:
        buf = buf * momentum + g / avg
        upd = -lr * buf
    else:
        upd = (-lr * g) / avg
    new = RMSpropState(state.step + 1, square_avg, grad_avg, buf)
    return upd, new, {"eff_lr": lr / avg}


# --- Adam and AdamW ----------------------------------------------------------------------------


class AdamState(NamedTuple):
    step: int
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array


def adam_init(params: Array) -> AdamState:
    z = np.zeros_like(params, dtype=float)
    return AdamState(0, z, z, z)


def _adam_core(g, state, params, lr, betas, eps, amsgrad):
    beta1, beta2 = betas
    step = state.step + 1
    exp_avg = _lerp(state.exp_avg, g, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    max_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq) if amsgrad else state.max_exp_avg_sq
    denom = np.sqrt(max_sq if amsgrad else exp_avg_sq) / bias_correction2_sqrt + eps
    new = AdamState(step, exp_avg, exp_avg_sq, max_sq)
    # eff_lr multiplies the bias-corrected momentum m_hat = exp_avg / (1 - beta1**step)
    return (-step_size * exp_avg) / denom, new, {"eff_lr": lr / denom}


def adam_update(g, state, params, *, lr, betas, eps, weight_decay, amsgrad, maximize):
    g = _prepare_grad(g, params, weight_decay, maximize)
    return _adam_core(g, state, params, lr, betas, eps, amsgrad)


def adamw_update(g, state, params, *, lr, betas, eps, weight_decay, amsgrad, maximize):
    g = -g if maximize else g
    # Decoupled weight decay: shrink the parameters, not the gradient (Loshchilov & Hutter).
    shrunk = params * (1 - lr * weight_decay)
    upd, new, extras = _adam_core(g, state, shrunk, lr, betas, eps, amsgrad)
    return (shrunk - params) + upd, new, extras


# --- Adadelta ----------------------------------------------------------------------------------


class AdadeltaState(NamedTuple):
    step: int
    square_avg: Array
    acc_delta: Array


def adadelta_init(params: Array) -> AdadeltaState:
    z = np.zeros_like(params, dtype=float)
    return AdadeltaState(0, z, z)


def adadelta_update(g, state, params, *, lr, rho, eps, weight_decay, maximize):
    g = _prepare_grad(g, params, weight_decay, maximize)
    square_avg = state.square_avg * rho + (1 - rho) * g * g
    std = np.sqrt(square_avg + eps)
    ratio = np.sqrt(state.acc_delta + eps) / std
    delta = ratio * g
    acc_delta = state.acc_delta * rho + (1 - rho) * delta * delta
    new = AdadeltaState(state.step + 1, square_avg, acc_delta)
    return -lr * delta, new, {"eff_lr": lr * ratio}


# --- Full-matrix Adagrad -----------------------------------------------------------------------


class AdagradFullState(NamedTuple):
    step: int
    G: Array  # (..., d, d): the running sum of outer products g g^T


def adagrad_full_init(params: Array, initial_accumulator_value: float = 0.0) -> AdagradFullState:
    d = params.shape[-1]
    G = np.broadcast_to(initial_accumulator_value * np.eye(d), (*params.shape, d)).copy()
    return AdagradFullState(0, G)


def adagrad_full_update(g, state, params, *, lr, eps, weight_decay, maximize):
    r"""Full-matrix Adagrad: :math:`x \leftarrow x - \eta\,(\epsilon I + G_t^{1/2})^{-1} g_t`."""
    g = _prepare_grad(g, params, weight_decay, maximize)
    G = state.G + g[..., :, None] * g[..., None, :]
    w, V = np.linalg.eigh(G)
    # (eps I + G^{1/2})^{-1} = V diag(1 / (eps + sqrt(w))) V^T; clip tiny negative eigenvalues.
    inv = 1.0 / (eps + np.sqrt(np.clip(w, 0.0, None)))
    precond = (V * inv[..., None, :]) @ np.swapaxes(V, -1, -2)
    step = (precond @ g[..., :, None])[..., 0]
    eff_lr = lr * np.diagonal(precond, axis1=-2, axis2=-1)
    return -lr * step, AdagradFullState(state.step + 1, G), {"eff_lr": eff_lr}


# --- The registry ------------------------------------------------------------------------------


def _nonneg(v) -> str | None:
    return None if v >= 0 else "must be >= 0"


def _unit_closed(v) -> str | None:
    return None if 0 <= v <= 1 else "must be in [0, 1]"


def _unit_open(v) -> str | None:
    return None if 0 <= v < 1 else "must be in [0, 1)"


def _betas(v) -> str | None:
    if not (isinstance(v, (tuple, list)) and len(v) == 2):
        return "must be a pair (beta1, beta2)"
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in v):
        return "must be a pair of numbers"
    return None if all(0 <= b < 1 for b in v) else "each beta must be in [0, 1)"


def _placement(v) -> str | None:
    return None if v in ("outside", "inside") else "must be 'outside' (torch) or 'inside' (d2l)"


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: its pure init/update pair, torch-style defaults and validators."""

    name: str
    label: str
    init: Callable[..., Any]
    update: Callable[..., tuple[Array, Any, dict[str, Array]]]
    defaults: Mapping[str, Any]
    checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)
    init_keys: tuple[str, ...] = ()  # hyper-parameters consumed by init, not update

    def resolve(self, hparams: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``hparams``; ``ValueError`` naming any bad one."""
        unknown = sorted(set(hparams) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"Unknown hyper-parameter {unknown[0]!r} for {self.name!r}; "
                f"allowed: {', '.join(sorted(self.defaults))}"
            )
        hp = {**self.defaults, **hparams}
        for key, value in hp.items():
            default = self.defaults[key]
            if isinstance(default, bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise ValueError(f"Invalid {key}: {value!r} (must be True or False)")
                hp[key] = bool(value)
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(
                    value, (int, float, np.integer, np.floating)
                ):
                    raise ValueError(f"Invalid {key}: {value!r} (must be a number)")
                try:
                    number = float(value)
                except OverflowError:  # an int too large for a float
                    number = math.inf
                if not math.isfinite(number):
                    raise ValueError(f"Invalid {key}: {value!r} (must be finite)")
                hp[key] = number
            if key in self.checks and (why := self.checks[key](hp[key])):
                raise ValueError(f"Invalid {key}: {value!r} ({why})")
        if hp.get("nesterov") and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                f"Invalid nesterov: True needs momentum > 0 and dampening = 0 "
                f"(got momentum={hp['momentum']}, dampening={hp['dampening']})"
            )
        if isinstance(hp.get("betas"), list):
            hp["betas"] = tuple(float(b) for b in hp["betas"])
        return hp

    def split(self, hp: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(init keywords, update keywords) of resolved hyper-parameters."""
        init_kw = {k: hp[k] for k in self.init_keys}
        upd_kw = {k: v for k, v in hp.items() if k not in self.init_keys}
        return init_kw, upd_kw


_NN = dict.fromkeys(
    ("lr", "eps", "weight_decay", "lr_decay", "momentum", "initial_accumulator_value"), _nonneg
)
_BETAS = (0.9, 0.999)

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in [
        Optimizer(
            "sgd",
            "SGD",
            sgd_init,
            sgd_update,
            dict(
                lr=1e-3,
                momentum=0.0,
                dampening=0.0,
                weight_decay=0.0,
                nesterov=False,
                maximize=False,
            ),
            {**_NN, "dampening": _unit_closed},
        ),
        Optimizer(
            "adagrad",
            "Adagrad",
            adagrad_init,
            adagrad_update,
            dict(
                lr=1e-2,
                lr_decay=0.0,
                weight_decay=0.0,
                initial_accumulator_value=0.0,
                eps=1e-10,
                eps_placement="outside",
                maximize=False,
            ),
            {**_NN, "eps_placement": _placement},
            init_keys=("initial_accumulator_value",),
        ),
        Optimizer(
            "rmsprop",
            "RMSprop",
            rmsprop_init,
            rmsprop_update,
            dict(
                lr=1e-2,
                alpha=0.99,
                eps=1e-8,
                weight_decay=0.0,
                momentum=0.0,
                centered=False,
                maximize=False,
            ),
            {**_NN, "alpha": _unit_closed},
        ),
        Optimizer(
            "adadelta",
            "Adadelta",
            adadelta_init,
            adadelta_update,
            dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False),
            {**_NN, "rho": _unit_closed},
        ),
        Optimizer(
            "adam",
            "Adam",
            adam_init,
            adam_update,
            dict(lr=1e-3, betas=_BETAS, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False),
            {**_NN, "betas": _betas},
        ),
        Optimizer(
            "adamw",
            "AdamW",
            adam_init,
            adamw_update,
            dict(lr=1e-3, betas=_BETAS, eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False),
            {**_NN, "betas": _betas},
        ),
        Optimizer(
            "adagrad_full",
            "Full-matrix Adagrad",
            adagrad_full_init,
            adagrad_full_update,
            dict(
                lr=1e-2, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0, maximize=False
            ),
            _NN,
            init_keys=("initial_accumulator_value",),
        ),
    ]
}
