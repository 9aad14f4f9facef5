"""The feature table is the one list: every message and widget in it once, the page told of each, no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.core.models import Params
from app.features import TABLE
from app.pages import page_context

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("app", "engine")


def modules() -> dict[str, Path]:
    """Every module of the app and the engine by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports when it runs (imports under ``if TYPE_CHECKING:`` are only for types)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, path.name == "__init__.py", node)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `from . import wire` names a module; `from .x import y` a name
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def test_there_are_no_import_cycles():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    # A package's __init__ importing its own submodules is how a package is assembled, not a cycle of design.
    graph = {n: {m for m in deps if not m.startswith(n + ".")} for n, deps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert graph["app.core.session"] and "app.features" not in graph["app.core.session"]  # the walk saw imports


def test_the_engine_imports_nothing_of_the_app():
    found = modules()
    for name, path in found.items():
        if name.startswith("engine"):
            assert not {m for m in imports(name, path, set(found)) if m.startswith("app")}, name


MUTATORS = {"update", "append", "extend", "setdefault", "add", "insert", "register"}


def test_no_module_changes_another_when_imported():
    """Registering by being imported (``REQUESTS["x"] = ...`` at a module's top level) is what the table replaced."""
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        for node in tree.body:  # module level only: what runs on import
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AugAssign)
                else []
            )
            for target in targets:
                while isinstance(target, (ast.Subscript, ast.Attribute)):
                    target = target.value
                    assert not (isinstance(target, ast.Name) and target.id in imported), (
                        f"{name}:{node.lineno} changes the imported {target.id} when imported"
                    )
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                func = node.value.func
                if isinstance(func, ast.Attribute) and func.attr in MUTATORS and isinstance(func.value, ast.Name):
                    assert func.value.id not in imported, (
                        f"{name}:{node.lineno} calls {func.value.id}.{func.attr} on import"
                    )


def test_the_table_is_the_same_whichever_feature_is_imported_first():
    code = (
        "import importlib, sys; importlib.import_module(sys.argv[1]); from app.features import TABLE; "
        "print(sorted(TABLE.messages), sorted(TABLE.widgets))"
    )
    firsts = ["app.features.training", "app.features.pipeline", "app.core.session", "app.pages", "app.lessons.course"]
    outputs = {
        subprocess.run([sys.executable, "-c", code, first], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for first in firsts
    }
    assert len(outputs) == 1


def test_every_message_is_listed_once_with_a_model_and_someone_to_answer_it():
    types = [m.type for f in TABLE.features for m in f.messages]
    assert len(types) == len(set(types)) == len(TABLE.messages) >= 25
    for type_name, message in TABLE.messages.items():
        assert issubclass(message.params, Params), type_name
        feature = TABLE.feature_of[type_name]
        assert message.handler is not None or feature.desk is not None, type_name
        assert message.type.split(".")[0] and message.answer, type_name


def test_every_widget_module_and_style_sheet_exists():
    for name, widget in TABLE.widgets.items():
        assert (ROOT / "static" / widget.module).is_file(), f"{name}: {widget.module}"
        for sheet in widget.css:
            assert (ROOT / "static" / sheet).is_file(), f"{name}: {sheet}"


def _fields(model: type[BaseModel], schema: dict, path: str = "") -> None:
    """Every field of ``model`` (and of the models inside it) is in ``schema`` with the model's own bounds."""
    assert set(schema["properties"]) == set(model.model_fields), path or model.__name__
    for name, info in model.model_fields.items():
        sub = schema["properties"][name]
        if "anyOf" in sub:  # an optional field: its bounds are on the branch that is not null
            sub = next(branch for branch in sub["anyOf"] if branch.get("type") != "null")
        text = sub.get("type") == "string"
        keys = {
            "ge": "minimum",
            "le": "maximum",
            "max_length": "maxLength" if text else "maxItems",
            "min_length": "minLength" if text else "minItems",
        }
        for meta in info.metadata:
            for attr, key in keys.items():
                if getattr(meta, attr, None) is not None:
                    assert sub.get(key) == getattr(meta, attr), f"{path}{name}.{key}"
        inner = info.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            _fields(inner, sub, f"{path}{name}.")


def test_the_page_is_told_every_message_answer_and_bound():
    context = page_context()
    assert context["protocol"] == {t: {"answer": m.answer, "ordered": m.ordered} for t, m in TABLE.messages.items()}
    assert set(context["schemas"]) == set(TABLE.messages)
    for type_name, message in TABLE.messages.items():
        _fields(message.params, context["schemas"][type_name], f"{type_name}: ")
    assert set(context["widgets"]) == set(TABLE.widgets)
    ordered = {t for t, m in context["protocol"].items() if m["ordered"]}
    controls = ("start", "play", "pause", "step", "reset", "set")
    assert ordered == {f"train.{c}" for c in controls} | {f"digits.{c}" for c in controls} | {"digits.view"}


def test_the_labels_name_exactly_what_the_models_accept():
    context = page_context()
    props = {t: s["properties"] for t, s in context["schemas"].items()}
    enum = lambda schema: set(schema.get("enum") or next(a["enum"] for a in schema["anyOf"] if "enum" in a))
    labels = context["labels"]
    assert set(labels["inputs"]) <= enum(props["input.preset"]["name"])
    assert set(labels["kernels"]) == enum(props["kernel.preset"]["name"])
    assert set(labels["pad_modes"]) == enum(props["conv.run"]["pad_mode"])
    assert set(labels["networks"]) == enum(props["arch.table"]["net"])
    assert set(labels["activations"]) == enum(props["activation.run"]["name"])
