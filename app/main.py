"""The FastAPI application factory: pages, static files, engine warm-up."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from engine import shapes
from engine.warmup import warm_up

ROOT = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=ROOT / "templates")


def create_app(warm: bool = True) -> FastAPI:
    """Build the app; with ``warm`` the kernels compile (or load from disk) in the background."""
    app = FastAPI(title="Convscope", docs_url=None, redoc_url=None)
    app.state.engine_ready = threading.Event()
    if warm:
        threading.Thread(target=lambda: (warm_up(), app.state.engine_ready.set()), daemon=True, name="jit-warmup").start()
    else:
        app.state.engine_ready.set()
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        rows = shapes.layer_table(shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)
        return templates.TemplateResponse(request, "index.html", {"rows": rows})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return RedirectResponse("/static/favicon.svg")

    @app.get("/healthz")
    def health():
        return {"ok": True, "engine_ready": app.state.engine_ready.is_set()}

    return app
