"""One notation for the course: the table in lessons/FORMAT.md names every symbol the brief of the
course fixes (k, C_in, C_out, H_out, W_out, s, p, d, ⋆, ∗); the glossary page shows that table and
every lesson page links to it; the lessons' prose uses none of the letters the course replaced (the
lectures' F, K, S, P for sizes, W₀ for an output width, Cᵢ, N₁ × K₁, m × m windows) outside a code
span that quotes a lecture; the renderer writes C_in with a subscript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.lessons.course import lesson_files, parse_lesson
from app.lessons.glossary import FORMAT, notation_markdown
from app.lessons.render import MD
from app.pages import create_app

ROOT = Path(__file__).resolve().parents[3]
COURSE = lesson_files(ROOT / "lessons")
REQUIRED = ["k", "C_in", "C_out", "H_out", "W_out", "s", "p", "d", "⋆", "∗"]
# The symbols the course replaced. Single capitals count only standing alone in prose.
REPLACED = ["Wᵢ", "Hᵢ", "Cᵢ", "W₀", "H₀", "C₀", "Wₒ", "N₁", "N₂", "K₁", "K₂", "F · F", "F·F", "F × F", "m × m", "1/m²"]
CAPITALS = re.compile(r"(?<![\w/∂])[FKSPNM](?!\w)")
# Lesson 19 (architectures) counts repeats in the ConvNet pattern with N, M and K, and says they are not sizes.
# Lesson 18 (residual blocks) names the residual function F(x), as ResNet does, and says it is not a size.
REPEAT_COUNTS = {"19-architectures": {"N", "M", "K"}, "18-residual-blocks": {"F"}}


pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")  # about its future


@pytest.fixture(scope="module")
def client():
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    return TestClient(create_app(warm=False), base_url="http://127.0.0.1")


def table_symbols() -> list[str]:
    rows = notation_markdown(FORMAT.read_text(encoding="utf-8")).splitlines()[2:]  # past the head and rule
    return [row.split("|")[1].strip() for row in rows]


def test_the_table_names_every_fixed_symbol():
    named = " ".join(table_symbols())
    for symbol in REQUIRED:
        assert re.search(rf"(?<!\w){re.escape(symbol)}(?!\w)", named), symbol


def test_the_glossary_page_shows_the_table(client):
    page = client.get("/glossary")
    assert page.status_code == 200
    assert "<h1>Notation</h1>" in page.text and "data-presenter-slot" in page.text
    for symbol in table_symbols():
        assert MD.renderInline(symbol) in page.text, symbol
    assert 'C<sub class="notation">in</sub>' in page.text


@pytest.mark.parametrize("path", COURSE, ids=[p.stem for p in COURSE])
def test_every_lesson_links_the_glossary(client, path):
    page = client.get(f"/lessons/{parse_lesson(path).slug}")
    assert page.status_code == 200
    assert 'href="/glossary"' in page.text


@pytest.mark.parametrize("path", COURSE, ids=[p.stem for p in COURSE])
def test_no_lesson_uses_a_replaced_symbol(path):
    body = path.read_text(encoding="utf-8").split("\n---", 1)[1]
    prose = re.sub(r"`[^`\n]*`", "", body)  # a code span quotes a lecture's own letters
    found = [s for s in REPLACED if s in prose]
    found += sorted({m.group(0) for m in CAPITALS.finditer(prose)} - REPEAT_COUNTS.get(path.stem, set()))
    assert not found, f"{path.name} uses {found}; the course's names are in lessons/FORMAT.md"


def test_subscripts_are_rendered_in_prose_but_not_in_code():
    html = MD.render("H_out = (H_in + 2p − k)/s + 1, and `C_in` stays; my_in_var too.")
    assert 'H<sub class="notation">out</sub>' in html and 'H<sub class="notation">in</sub>' in html
    assert "<code>C_in</code>" in html and "my_in_var" in html
    html = MD.render("the loss −ln p_y and the gradient p_k − y_k")  # one letter indexing another
    assert 'p<sub class="notation">y</sub>' in html and 'y<sub class="notation">k</sub>' in html
