"""A lesson's Markdown rendered to HTML (the format is lessons/FORMAT.md).

The markdown-it parser :data:`MD` (CommonMark with tables, heading anchors and the
``::: widget`` / ``::: question`` container blocks), and the HTML that
:mod:`app.lessons` puts in place of those blocks: a widget's figure (its mount
point, its caption) and a question's placeholder, whose controls
lesson-questions.js builds from the page data.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin

from ..features import TABLE

if TYPE_CHECKING:  # only for annotations: app.lesson_models imports MD from here
    from .models import LessonMeta


# The notation's subscripted names (lessons/FORMAT.md, "Notation"): C_in, H_out, k_h, … in prose, and
# one letter indexing another (p_y, the probability of the true class y; z_k; x_l).
SUBSCRIPT = re.compile(r"\b([A-Za-z])_(in|out|[a-z])\b")


def _subscripts(state: StateCore) -> None:
    """Text like ``C_in`` becomes C with a subscript "in" (code spans keep the underscore)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or not SUBSCRIPT.search(token.content):
                children.append(token)
                continue
            at = 0
            for m in SUBSCRIPT.finditer(token.content):
                children.append(_text(token.content[at : m.start()]))
                sub = Token("html_inline", "", 0)
                sub.content = f'{html.escape(m.group(1))}<sub class="notation">{m.group(2)}</sub>'
                children.append(sub)
                at = m.end()
            children.append(_text(token.content[at:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    anchors_plugin(md, min_level=2, max_level=3)  # sections an instructor can link to and a learner returns to
    container_plugin(md, "widget")
    container_plugin(md, "question")
    md.core.ruler.push("notation_subscripts", _subscripts)
    return md


MD = _markdown()


def matching_close(tokens: list[Token], start: int) -> int:
    """Index of the token closing the question container opened at ``start``."""
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting if tokens[j].type.startswith("container_question") else 0
        if depth == 0:
            return j
    return len(tokens) - 1


def html_token(content: str) -> Token:
    # Raw HTML is off for authors; this token is ours, made from escaped and rendered parts.
    token = Token("html_block", "", 0)
    token.content = content
    return token


def render_prose(tokens: list[Token], meta: LessonMeta) -> str:
    """HTML of the prose; a widget container becomes its figure, its content the caption."""
    parts: list[Token] = []
    for j, t in enumerate(tokens):
        if t.type == "container_widget_open":
            wid = t.meta["widget"]
            title = TABLE.widgets[meta.widgets[wid].type].title
            empty = tokens[j + 1].type == "container_widget_close"
            parts.append(
                html_token(
                    f'<figure class="lesson-widget" data-widget="{wid}" id="widget-{wid}" '
                    f'aria-label="{html.escape(title)}"><div class="widget lesson-widget-mount" data-mount="{wid}">'
                    f'<p class="lesson-widget-loading">Loading the '
                    f"{html.escape(title.lower())} widget…</p></div>"
                    + ("" if empty else '<figcaption class="lesson-widget-caption">')
                )
            )
            t.meta["empty"] = empty
        elif t.type == "container_widget_close":
            opened = next(o for o in reversed(tokens[:j]) if o.type == "container_widget_open")
            parts.append(html_token(("" if opened.meta["empty"] else "</figcaption>") + "</figure>\n"))
        else:
            parts.append(t)
    return MD.renderer.render(parts, MD.options, {})


KIND_WORDS = {"numeric": "Question", "choice": "Question", "predict": "Predict, then reveal"}


def question_placeholder(q: dict) -> str:
    """The question's place in the prose; lesson-questions.js builds its controls from the page data."""
    return (
        f'<section class="question" data-question="{q["id"]}" id="q-{q["id"]}" aria-labelledby="q-{q["id"]}-prompt">'
        f'<p class="question-kind">{KIND_WORDS[q["kind"]]}</p>'
        f'<div class="question-prompt" id="q-{q["id"]}-prompt">{q["prompt"]}</div></section>\n'
    )
