"""The front end's layout keeps its promises: one folder per widget, each in the widget table;
no list of names the server owns copied into a script; lines a reader can see whole.

Read from the files themselves (no browser needed): static/js/widgets/<type>/index.js against
the feature table's widgets, and every script against the schemas and labels the pages receive.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.features import TABLE
from app.pages import page_context

JS = Path(__file__).resolve().parents[2] / "static" / "js"
WIDGETS = JS / "widgets"
SCRIPTS = sorted(JS.rglob("*.js"))


def test_every_widget_folder_is_in_the_widget_table_and_back():
    folders = {p.parent.name for p in WIDGETS.glob("*/index.js")}
    assert folders == set(TABLE.widgets), folders ^ set(TABLE.widgets)
    for type_, spec in TABLE.widgets.items():
        assert spec.module == f"js/widgets/{type_}/index.js", type_


def test_a_folder_of_shared_parts_serves_several_widgets():
    """A folder without index.js holds parts (widgets/xo: the training run and the network view)."""
    for folder in (p for p in WIDGETS.iterdir() if p.is_dir() and not (p / "index.js").exists()):
        users = {
            s.parent.name for s in WIDGETS.rglob("*.js") if s.parent != folder and f"../{folder.name}/" in s.read_text()
        }
        assert len(users) >= 2, (
            f"widgets/{folder.name} is used by {users or 'no widget'}: move it into that widget's folder"
        )


def _name_lists() -> dict[str, set[str]]:
    """Every list of names the server owns: each enum of three or more in the schemas, each labels table."""
    context = page_context()
    found: dict[str, set[str]] = {}

    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list) and len(node["enum"]) >= 3:
                found[where] = set(node["enum"])
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(context["schemas"], "schemas")
    for table, labels in context["labels"].items():
        if len(labels) >= 3:
            found[f"labels.{table}"] = set(labels)
    return found


def test_no_script_copies_a_list_of_names_the_server_owns():
    """No array or object literal holds every name of a server list (a widget may offer a few of them)."""
    lists = _name_lists()
    assert {"schemas.input.preset.properties.name", "labels.networks"} <= set(lists)
    literal = re.compile(r"\[[^\[\]]*\]|\{[^{}]*\}", re.S)
    for script in SCRIPTS:
        source = script.read_text()
        for block in literal.findall(source):
            names = set(re.findall(r'"([\w.-]+)"', block)) | set(re.findall(r"(?<![\w.])(\w+)\s*:", block))
            for where, wanted in lists.items():
                assert not wanted <= names, f"{script.relative_to(JS)} copies {where}: read it from the page's context"


def test_the_socket_client_names_no_request_type():
    """Which requests exist, and what each answers, come from the server (context.protocol)."""
    source = (JS / "lib" / "socket.js").read_text()
    named = [t for t in page_context()["protocol"] if f'"{t}"' in source]
    assert not named, f"lib/socket.js names {named}"
