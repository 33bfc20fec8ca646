"""Fixed texts shared by the pages: the home page's takeaway and questions, the glossary and
the references. These sentences state definitions, not results of a run, so they hold for
every setting; sentences about a run live in the ``claims_*`` modules."""

from __future__ import annotations

from dataclasses import dataclass

TAKEAWAY = (
    "Adagrad gives every weight its own learning rate: the global rate divided by the square "
    "root of the sum of that weight's squared gradients. A rare feature's weight collects "
    "little in that sum, so it keeps larger steps. These pages show when that helps, where "
    "frequency sits in the formula, and what mini-batches change."
)


@dataclass(frozen=True)
class Question:
    number: int
    question: str
    page: str
    where: str
    short: str
    icon: str = "👉"


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "Adagrad gives infrequent features larger learning rates. Why would a larger step on "
        "the most decisive parameters help, rather than make them less precise?",
        "pages/sparse-features.py",
        "Sparse features, charts ① and ②",
        "A rare weight gets few adjustments, so each must be large. Chart ② tries SGD at many "
        "rates: its rare and frequent weights want different ones.",
    ),
    Question(
        2,
        "Where in the update formula is the frequency of a feature?",
        "pages/formula.py",
        "The formula, then Sparse features charts ③ and ④",
        "In G: a feature absent from a batch has gradient 0 and adds nothing to its sum.",
    ),
    Question(
        3,
        "If updates happen after a mini-batch, how does frequency still change how often a "
        "parameter is adjusted?",
        "pages/sparse-features.py",
        "Sparse features, chart ⑤",
        "Chart ⑤ counts each weight's adjustments over the same examples at each batch size.",
    ),
)

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Learning rate (lr, η)", "the number every step is multiplied by."),
    (
        "Gradient (g)",
        "how steeply the loss rises as one weight grows; a step moves the weight against it.",
    ),
    ("SGD", "stochastic gradient descent: every weight steps by lr × g, with one rate for all."),
    (
        "Accumulator G",
        "Adagrad's running sum of a weight's squared gradients. It only grows.",
    ),
    (
        "Effective learning rate",
        "what Adagrad multiplies a weight's gradient by: lr / (√G + ε). It only shrinks.",
    ),
    ("ε (epsilon)", "a tiny number added so that Adagrad never divides by zero."),
    (
        "Batch size B",
        "how many examples one step averages its gradient over. B = 1 steps after every example.",
    ),
    ("Residual r", "the prediction minus the label, for one example."),
    (
        "Moving average",
        "an average that weighs recent values most and forgets old ones. RMSprop, Adadelta and "
        "Adam keep one of g² where Adagrad keeps a sum.",
    ),
    ("f − f*", "how far the loss f still is above its lowest value f*."),
)

REFERENCES: tuple[str, ...] = (
    "- Duchi, Hazan and Singer (2011), [Adaptive Subgradient Methods for Online Learning and "
    "Stochastic Optimization](https://jmlr.org/papers/v12/duchi11a.html), JMLR 12: the paper "
    "that introduced Adagrad.",
    "- Dive into Deep Learning, [section 12.7, Adagrad]"
    "(https://d2l.ai/chapter_optimization/adagrad.html): sparse features and the per-feature "
    "clock.",
    "- PyTorch, [torch.optim.Adagrad]"
    "(https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html): the update this "
    "app follows to the last digit.",
)
