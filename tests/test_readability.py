"""Every page's default view and every lesson link on the home page, rendered with AppTest and
measured by the project's readability tool (../shared/tools/prose_metrics.py): the limits of
the explanations issue hold, and every page opens with a short plain takeaway."""

from pathlib import Path

import pytest

from tests.apptest import prose_metrics

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


PM = prose_metrics()
PAGES = ["home", "trajectories", "sparse-features", "formula"]
LINKS = PM.presets(APP)  # the lesson links as the home page gives them: asked, then answered
VIEWS = sorted({*PAGES, *LINKS, *(f"{v}&reveal=1" for v in LINKS if "lesson=" in v)})


@pytest.mark.parametrize("view", VIEWS)
def test_a_view_meets_the_readability_limits(view):
    r = PM.measure(APP, view)
    assert not r["exception"], view
    assert r["longest_paragraph"] <= 60, r
    assert r["mean_sentence"] <= 20, r
    assert r["max_numbers_in_a_sentence"] <= 4, r


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_with_a_plain_takeaway_of_at_most_three_sentences(page):
    at = PM.render(APP, page)
    texts = PM.texts(at)
    assert texts, page
    opening = at.markdown[0].value
    # the takeaway is the page's first text, right under its title
    assert texts[0] == opening, (page, texts[0][:80])
    sentences = [s for p in PM.paragraphs(opening) for s in PM.SENTENCE_END.split(p)]
    assert 1 <= len(sentences) <= 3, (page, sentences)
