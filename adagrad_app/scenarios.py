"""The lessons: named links that open a page in a state that teaches one thing, in the order
of the path through them.

Each lesson asks first: a ``question`` with 2 to 4 ``choices``, answered before the page shows
the part of the run that gives the answer away. The answer key is never written here: each
page's claims module computes it from the run (``lesson_key(key, ...)``), so a teacher who
changes a setting in the link gets a correct key. Each claim in ``notice`` is checked against
the run in tests/test_scenarios.py, so the gallery cannot promise what the linked run does not
show.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Key:
    """A lesson's right choice on a run, or None with the reason the settings make the question
    moot (a tie, a divergence): then nobody is marked wrong."""

    choice: str | None
    why: str = ""


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    page: str  # the page file, as app.py registers it
    query: dict[str, str] = field(default_factory=dict)
    notice: str = ""  # what the student should notice, one line
    icon: str = "▶️"
    question: str = ""  # asked before the answer is shown
    choices: tuple[tuple[str, str], ...] = ()  # (key, words), 2 to 4
    try_it: str = ""  # after the answer: the slider to move, and what to watch for


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "first_step",
        "Adagrad's first step",
        "pages/formula.py",
        {"t": "1"},
        "With a tiny ε the first step is η·sign(g): the same length in x and y, whatever the "
        "gradient.",
        "👣",
        question="At step 1, how long is Adagrad's step in x compared with y?",
        choices=(
            ("same", "The same length"),
            ("larger_g", "Longer where the gradient is larger"),
            ("smaller_g", "Longer where the gradient is smaller"),
        ),
        try_it="Raise ε and watch the two steps part.",
    ),
    Scenario(
        "epsilon",
        "What ε does at the first step",
        "pages/formula.py",
        {"eps": "1", "t": "1"},  # t: the step shown, counted from 1 (the first update)
        "With a tiny ε the first step is η·sign(g) for every coordinate; with ε = 1 it is "
        "η·|g| / (|g| + 1): the smaller a coordinate's gradient, the shorter its first step.",
        "🔬",
        question="With the ε this lesson sets, which coordinate takes the shorter first step?",
        choices=(
            ("smaller_g", "The one with the smaller gradient"),
            ("larger_g", "The one with the larger gradient"),
            ("same", "They are equal"),
        ),
        try_it="Move ε back towards 1e-10 and watch the steps become equal.",
    ),
    Scenario(
        "valley",
        "Adagrad vs SGD in an ill-conditioned valley",
        "pages/trajectories.py",
        {"surface": "quadratic", "opts": "sgd,adagrad"},
        "SGD zig-zags across the steep y direction for its first few steps; Adagrad scales each "
        "coordinate by its own gradient history and never zig-zags. The race table compares it "
        "with SGD at its best single rate too.",
        "🏞️",
        question="Which gets below f − f* = 0.001 first: Adagrad, or SGD at its best single rate?",
        choices=(("adagrad", "Adagrad"), ("sgd", "SGD at its best rate"), ("tie", "They tie")),
        try_it="Move Adagrad's learning rate slider and watch how many steps it needs.",
    ),
    Scenario(
        "rare",
        "Rare features catch up",
        "pages/sparse-features.py",
        {},
        "No single SGD rate serves both groups: rare weights want a large one, frequent weights "
        "a small one (chart ②). Adagrad ends closer than SGD's best rate in both groups.",
        "🧮",
        question="Whose rare weights end closer to their targets: Adagrad's, or SGD's at its best "
        "single rate?",
        choices=(
            ("adagrad", "Adagrad's"),
            ("sgd", "SGD's at its best rate"),
            ("tie", "About the same"),
        ),
        try_it="Move the p of rare features slider up to 0.2 and watch the gap close.",
    ),
    Scenario(
        "one_rate",
        "One rate for two kinds of weights",
        "pages/sparse-features.py",
        {},
        "SGD trained at 17 rates: its rare weights end closest at a larger rate than its "
        "frequent ones.",
        "🎚️",
        question="SGD is trained at many rates. Do its rare weights end closest at a larger rate "
        "than its frequent weights, a smaller one, or the same?",
        choices=(("larger", "A larger rate"), ("smaller", "A smaller rate"), ("same", "The same")),
        try_it="Move the p of rare features slider up to 0.2 and watch the two best rates meet.",
    ),
    Scenario(
        "where_g",
        "Where frequency hides in the formula",
        "pages/sparse-features.py",
        {"preset": "zipf"},
        "G grows only in steps whose batch holds the feature: between them it stays flat.",
        "🧩",
        question="A feature is absent from a batch. What does its G do in that step?",
        choices=(("grows", "It grows"), ("same", "It stays the same"), ("shrinks", "It shrinks")),
        try_it="Pick the power-law preset with exponent 2 and watch the rarest feature's G.",
    ),
    Scenario(
        "minibatch",
        "Mini-batches and rare features",
        "pages/sparse-features.py",
        {"preset": "two_groups", "batch": "64", "sgd_lr": "0.05"},  # no B in the sweep diverges
        "From B = 1 to 64, over the same examples, a frequent weight loses almost all of its "
        "adjustments, a rare one far fewer: SGD's rare steps shrink with B, Adagrad's do not.",
        "📦",
        question="Over the same examples, is a rare weight adjusted more often, less often or "
        "about as often at B = 64 as at B = 1?",
        choices=(("more", "More often"), ("less", "Less often"), ("same", "About as often")),
        try_it="Move the p of rare features slider up and watch the rare circles in chart ⑤ fall.",
    ),
    Scenario(
        "plateau",
        "Crossing a plateau beside a steep wall",
        "pages/trajectories.py",
        {"surface": "plateau", "opts": "sgd,momentum,adagrad"},
        "With a step size safe for the steep wall, SGD and Momentum barely move on the flat "
        "plateau; Adagrad's early steps have size η whatever the gradient, so it crosses.",
        "🏜️",
        question="Which optimizer ends closest to the minimum?",
        choices=(("sgd", "SGD"), ("momentum", "Momentum"), ("adagrad", "Adagrad")),
        try_it="Raise SGD's learning rate and watch when it crosses, or blows up at the wall.",
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
        question="At the end of the run, whose effective learning rate is higher: Adagrad's or "
        "RMSprop's?",
        choices=(("adagrad", "Adagrad's"), ("rmsprop", "RMSprop's"), ("tie", "About the same")),
        try_it="Move RMSprop's α towards 0.999 and watch its rate recover more slowly.",
    ),
    Scenario(
        "rotation",
        "Rotation breaks diagonal Adagrad",
        "pages/trajectories.py",
        {"surface": "rotated", "opts": "adagrad,adagrad_full"},
        "Turned 45°, the valley no longer lines up with x and y: diagonal Adagrad needs several "
        "times more steps, full-matrix Adagrad is as fast as before (see the Rotation panels).",
        "🔄",
        question="Turn the valley by 45°. Which version of Adagrad slows down more?",
        choices=(
            ("adagrad", "Diagonal Adagrad"),
            ("adagrad_full", "Full-matrix Adagrad"),
            ("tie", "Neither"),
        ),
        try_it="Compare the two Rotation panels, then switch the surface back to the quadratic.",
    ),
)

BY_KEY = {sc.key: sc for sc in SCENARIOS}


def next_lesson(key: str) -> Scenario | None:
    """The lesson after ``key`` on the path, or None after the last."""
    keys = [sc.key for sc in SCENARIOS]
    i = keys.index(key)
    return SCENARIOS[i + 1] if i + 1 < len(keys) else None
