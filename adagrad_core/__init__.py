"""adagrad_core: a small numpy engine for Adagrad and its relatives.

Optimizers follow ``torch.optim`` (names, defaults, update order); see :mod:`.optimizers`.
This package never imports streamlit or plotly.
"""

from .optimizers import OPTIMIZERS, Optimizer
from .runner import DEFAULT_BOUND, MAX_ELEMENTS, MAX_STEPS, Trajectory, get_optimizer, run
from .surfaces import SURFACES, Surface

__all__ = [
    "DEFAULT_BOUND",
    "MAX_ELEMENTS",
    "MAX_STEPS",
    "OPTIMIZERS",
    "SURFACES",
    "Optimizer",
    "Surface",
    "Trajectory",
    "get_optimizer",
    "run",
]
