"""The scenario gallery: named links that open a page in a state that teaches one thing.

Each claim in ``notice`` is checked against the core in tests/test_scenarios.py, so the gallery
cannot promise what the linked run does not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    page: str  # the page file, as app.py registers it
    query: dict[str, str] = field(default_factory=dict)
    notice: str = ""  # what the student should notice, one line
    icon: str = "▶️"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "valley",
        "Adagrad vs SGD in an ill-conditioned valley",
        "pages/trajectories.py",
        {"surface": "quadratic", "opts": "sgd,adagrad"},
        "SGD zig-zags across the steep y direction for its first few steps, then runs along the "
        "x axis, partly under Adagrad's path; Adagrad scales each coordinate by its own gradient "
        "history, never zig-zags, and gets below f − f* = 0.001 several times sooner.",
        "🏞️",
    ),
    Scenario(
        "forgets",
        "Adagrad never forgets a big gradient (and how RMSprop fixes it)",
        "pages/trajectories.py",
        {"surface": "rosenbrock", "opts": "adagrad,rmsprop", "steps": "1000"},
        "The huge gradients of its first steps stay in Adagrad's sum G for good: its effective "
        "learning rate drops about tenfold at once, never recovers, and it crawls along the "
        "curved valley; RMSprop's rate drops too but climbs back as its average forgets, and it "
        "gets much closer.",
        "🐌",
    ),
    Scenario(
        "plateau",
        "Crossing a plateau beside a steep wall",
        "pages/trajectories.py",
        {"surface": "plateau", "opts": "sgd,momentum,adagrad"},
        "With a step size safe for the steep wall, SGD and Momentum barely move on the flat "
        "plateau; Adagrad's early steps have size η whatever the gradient, so it crosses.",
        "🏜️",
    ),
    Scenario(
        "rotation",
        "Rotation breaks diagonal Adagrad",
        "pages/trajectories.py",
        {"surface": "rotated", "opts": "adagrad,adagrad_full"},
        "Turned 45°, the valley no longer lines up with x and y: diagonal Adagrad needs several "
        "times more steps, full-matrix Adagrad is as fast as before (see the Rotation panels).",
        "🔄",
    ),
    Scenario(
        "rare",
        "Rare features catch up",
        "pages/sparse-features.py",
        {},
        "No single SGD rate serves both groups: rare weights want a large one, frequent weights "
        "a small one (chart ②). Adagrad ends closer than SGD's best rate in both groups.",
        "🧮",
    ),
    Scenario(
        "minibatch",
        "Mini-batches and rare features",
        "pages/sparse-features.py",
        {"preset": "two_groups", "batch": "64", "sgd_lr": "0.05"},  # no B in the sweep diverges
        "A rare feature shows up in a batch of 64 with chance 1 − (1 − p)⁶⁴, and the batch "
        "average divides its gradient by 64: SGD's rare steps shrink with B, Adagrad's do not.",
        "📦",
    ),
    Scenario(
        "epsilon",
        "What ε does at the first step",
        "pages/formula.py",
        {"eps": "1", "t": "1"},  # t: the step shown, counted from 1 (the first update)
        "With a tiny ε the first step is η·sign(g) for every coordinate; with ε = 1 it is "
        "η·|g| / (|g| + 1): the smaller a coordinate's gradient, the shorter its first step.",
        "🔬",
    ),
)
