""" "Reproduce in PyTorch": a short, runnable ``torch.optim`` script for a run shown in the app.

Pure (no streamlit, no torch import): :func:`torch_script` returns the script as text. The
script uses float64 and autograd on the surface written in torch ops, and follows the core's
divergence rule (a start is stopped, at its last finite point, once a value is not finite or a
coordinate leaves ``|x| <= bound``), so it prints the same final parameters as
:func:`adagrad_core.run` to ~1e-12.

Registry surfaces come from :data:`TORCH_SURFACES` (torch source per surface name); a custom
expression is re-emitted from its validated tree (:meth:`adagrad_core.expr.Expr.to_torch`),
never pasted from the typed text. Only ``torch.optim`` optimizers are reproduced; full-matrix
Adagrad and ``eps_placement="inside"`` have no ``torch.optim`` equivalent, and the script says
so in a comment instead of running them.

>>> script = torch_script("quadratic", [-5.0, -2.0], [("adagrad", {"lr": 0.4})], 20)
>>> "torch.optim.Adagrad" in script
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adagrad_core import DEFAULT_BOUND, MAX_STEPS, SURFACES, get_optimizer
from adagrad_core.expr import Expr, parse

MAX_STARTS = 64
"""Most starting points one script carries (it lists them literally)."""

_C = repr(float(np.sqrt(0.5)))  # the exact float the core's rotation uses

TORCH_SURFACES: dict[str, str] = {
    "quadratic": "return 0.1 * x**2 + 2 * y**2",
    "rotated": (
        f"c = {_C}  # cos 45° = sin 45°\n"
        "u, v = c * (x + y), c * (y - x)  # rotate back by -45°\n"
        "return 0.1 * u**2 + 2 * v**2"
    ),
    "rosenbrock": "return (1 - x) ** 2 + 100 * (y - x**2) ** 2",
    "beale": (
        "return (\n"
        "    (1.5 - x + x * y) ** 2\n"
        "    + (2.25 - x + x * y**2) ** 2\n"
        "    + (2.625 - x + x * y**3) ** 2\n"
        ")"
    ),
    "saddle": "return x**2 - y**2 + 0.25 * y**4",
    "himmelblau": "return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2",
    "plateau": "return 1 - torch.exp(-(x**2) / 10) + 4 * y**2",
}
"""Body of ``def f(x, y):`` in torch ops, per name in :data:`adagrad_core.SURFACES`."""

TORCH_OPTIMIZERS: dict[str, str] = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
}
"""Core optimizer name -> ``torch.optim`` class name (same keywords and defaults)."""

_NO_TORCH = {
    "adagrad_full": "full-matrix Adagrad has no torch.optim equivalent",
}

_LOOP = '''
def finite(p, opt):
    """p, its gradient and its optimizer state hold only finite numbers."""
    state = [v for v in opt.state[p].values() if torch.is_tensor(v)]
    return all(torch.isfinite(t).all() for t in [p, p.grad, *state])


for name, Optimizer, hparams in RUNS:
    params = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in STARTS]
    opt = Optimizer(params, **hparams)
    stopped = [0] * len(params)  # the step at which each start was stopped, 0 if never
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        for p, s in zip(params, stopped):
            if not s:  # a stopped start gets no gradient, so opt.step() leaves it alone
                f(p[0], p[1]).backward()
        before = [p.detach().clone() for p in params]
        opt.step()
        for i, p in enumerate(params):
            if not stopped[i] and not (finite(p, opt) and p.abs().max() <= BOUND):
                stopped[i] = step  # diverged: keep its last finite point, as the app does
                with torch.no_grad():
                    p.copy_(before[i])
    print(f"{name}: {[p.tolist() for p in params]}")
    for i, s in enumerate(stopped):
        if s:
            print(f"  start {i} diverged and was stopped at step {s}")
'''


def _literal(v: float) -> str:
    """Shortest exact Python literal for ``v``: ``1e6`` rather than ``1000000.0``."""
    short = f"{v:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return short if float(short) == v else repr(v)


def _surface_source(surface: str | Expr) -> tuple[str, str]:
    """(one-line description, body of ``def f(x, y):``) for a registry name or expression."""
    if isinstance(surface, Expr):
        expr = surface
    elif isinstance(surface, str) and surface in SURFACES:
        if surface not in TORCH_SURFACES:
            raise ValueError(f"Surface {surface!r} has no torch source in TORCH_SURFACES")
        return SURFACES[surface].label, TORCH_SURFACES[surface]
    elif isinstance(surface, str):
        expr = parse(surface)  # ValueError for anything refused
    else:
        raise ValueError(f"Invalid surface: {surface!r} (a registry name or an expression)")
    return f"custom, f(x, y) = {expr.text}", f"return {expr.to_torch()}"


def _starts(starts: Any) -> list[list[float]]:
    try:
        a = np.array(starts, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid starts: {starts!r} (must be (x, y) or a list of them)") from None
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != 2 or not 1 <= len(a) <= MAX_STARTS:
        raise ValueError(f"Invalid starts shape {a.shape} (need (2,) or (n, 2), n <= {MAX_STARTS})")
    if not np.isfinite(a).all():
        raise ValueError("Invalid starts: contains NaN or infinity")
    return a.tolist()


def _torch_kwargs(name: str, hparams: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(keywords for torch.optim or None if it has no equivalent, a note for the comment)."""
    opt = get_optimizer(name)
    hp = opt.resolve(hparams)  # ValueError naming a bad hyper-parameter
    if name in _NO_TORCH:
        return None, f"{name!r}: {_NO_TORCH[name]}"
    if hp.pop("eps_placement", "outside") == "inside":
        return None, f"{name!r} with eps inside the square root: torch.optim puts it outside"
    kw = {k: v for k, v in hp.items() if v != opt.defaults[k]}
    return kw, ""


def torch_script(
    surface: str | Expr,
    starts: Any,
    runs: Sequence[tuple[str, Mapping[str, Any]]],
    steps: int,
    *,
    bound: float = DEFAULT_BOUND,
) -> str:
    """A runnable Python script that reproduces ``runs`` with ``torch.optim`` and prints them.

    ``surface`` is a name in :data:`adagrad_core.SURFACES`, a custom expression's text, or a
    parsed :class:`~adagrad_core.expr.Expr`. ``starts`` is ``(x, y)`` or ``[(x, y), ...]``;
    ``runs`` is a list of ``(optimizer name, hyper-parameters)`` as passed to
    :func:`adagrad_core.run`, with the same ``steps`` and ``bound``. For each run the script
    prints ``"<name>: [[x, y], ...]"`` (the final parameters, one pair per start) and a line
    for each start it stopped. ``ValueError`` for an unknown surface, optimizer or bad value.
    """
    label, body = _surface_source(surface)
    pts = _starts(starts)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"Invalid steps: {steps!r} (must be an integer)")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"Invalid steps: {steps} (must be in [0, {MAX_STEPS}])")
    if not (isinstance(bound, (int, float)) and not math.isnan(bound) and bound > 0):
        raise ValueError(f"Invalid bound: {bound!r} (must be > 0)")

    rows, skipped = [], []
    for name, hparams in runs:
        kw, note = _torch_kwargs(name, hparams)
        if kw is None:
            skipped.append(note)
        else:
            rows.append(f"    ({name!r}, torch.optim.{TORCH_OPTIMIZERS[name]}, {kw!r}),")

    lines = [
        '"""Reproduce a run of "Adagrad, explained" with torch.optim, in float64.',
        "",
        f"Surface: {label}",
        "Prints each optimizer's final parameters, one (x, y) per start.",
        '"""',
        "",
        "import torch",
        "",
        "",
        "def f(x, y):",
        *("    " + ln if ln else "" for ln in body.splitlines()),
        "",
        "",
        f"STARTS = {pts!r}",
        f"STEPS = {int(steps)}",
        f"BOUND = {_literal(float(bound))}  # a start is stopped once |x| or |y| > BOUND",
        "",
        "RUNS = [",
        *rows,
        "]",
        *(f"# Not reproduced: {n}." for n in skipped),
    ]
    return "\n".join(lines) + "\n\n" + _LOOP
