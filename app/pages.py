"""The FastAPI application: pages, static files and the websocket, assembled from the feature table.

Every page gets the same context (:func:`page_context`): the engine's limits, the
request → answer map, each request's parameter schema, the widgets and the labels
of named things, so the browser types none of them a second time.
"""

from __future__ import annotations

import functools
import threading
from html import escape

import anyio
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from engine import digits, shapes
from engine.warmup import warm_up
from engine.xo_data import named_samples

from .core.abort import AbortHandle
from .core.errors import error
from .core.guard import HostGuard
from .core.limits import limits
from .core.occupancy import Occupancy
from .core.paths import STATIC, TEMPLATES
from .core.session import Session
from .core.table import Table
from .features import TABLE, activation, architecture, conv, presets, residual
from .lessons.course import load_course, widget_mounts
from .lessons.glossary import notation_html

templates = Jinja2Templates(directory=TEMPLATES)
# A page that sent nothing for this long is closed; its socket client reconnects when it is used again.
IDLE_SECONDS = 30 * 60
# Engine work gets its own threads, so a lecture hall of heavy requests never
# starves the page routes (which use anyio's default pool) of theirs.
ENGINE_THREADS = 32
TRY_AGAIN_LATER = 1013  # the websocket close code for a server that is full


@functools.cache
def page_context(table: Table = TABLE) -> dict:
    """What every page (and every widget's mount()) may read; the same for every page, so made once."""
    return {
        "limits": limits(),
        "choices": activation.activation_choices(),
        "samples": list(named_samples(9)),
        # Each request's answer type (and whether it is carried out in order), and its parameters as a schema.
        "protocol": table.protocol(),
        "schemas": table.schemas(),
        "widgets": {w.name: {"title": w.title, "module": w.module, "css": list(w.css)} for w in table.widgets.values()},
        "labels": {
            "inputs": presets.INPUT_LABELS,
            "kernels": presets.KERNEL_LABELS,
            "pad_modes": conv.PAD_MODE_LABELS,
            "networks": architecture.NETWORK_LABELS,
            "activations": activation.ACTIVATION_LABELS,
            **residual.LABELS,
        },
    }


def create_app(
    warm: bool = True,
    idle_seconds: float = IDLE_SECONDS,
    hosts: tuple[str, ...] = (),
    occupancy: Occupancy | None = None,
) -> FastAPI:
    """Build the app; with ``warm`` the kernels compile (or load from disk) in the background.

    ``hosts``: names the server answers to besides localhost (the address it listens on).
    ``occupancy``: the caps on pages and training runs (the defaults when None).
    """
    app = FastAPI(title="Convscope", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(HostGuard, names=hosts)
    app.add_middleware(AbortHandle)  # added last, so outermost: it must see the server's own send
    app.state.occupancy = occupancy or Occupancy()
    app.state.sessions = set()  # live websocket sessions, counted by /healthz
    app.state.engine_threads = None  # made on first use, inside the server's event loop
    app.state.engine_ready = threading.Event()
    if warm:
        threading.Thread(
            # LeNet-5's kernels last: every other page is ready before they are.
            target=lambda: (warm_up(), app.state.engine_ready.set(), digits.warm_up()),
            daemon=True,
            name="jit-warmup",
        ).start()
    else:
        app.state.engine_ready.set()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def render(request: Request, template: str, status_code: int = 200, **values) -> HTMLResponse:
        """A page: every template gets the shared context, the engine's limits and whether the engine is warm."""
        shared = {"context": page_context(), "limits": limits(), "engine_ready": app.state.engine_ready.is_set()}
        return templates.TemplateResponse(request, template, shared | values, status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        return render(
            request, "index.html", rows=shapes.layer_table(shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)
        )

    @app.get("/playground", response_class=HTMLResponse)
    def playground(request: Request):
        return render(request, "playground.html", embed=request.query_params.get("embed") == "1")

    @app.get("/lessons", response_class=HTMLResponse)
    def lessons(request: Request):
        return render(request, "lessons.html", course=load_course())

    @app.get("/lessons/{slug}", response_class=HTMLResponse)
    def lesson(request: Request, slug: str):
        course = load_course()
        found = course.find(slug)
        if found is None:  # an unknown slug, or a lesson whose file has a mistake (shown to its author)
            error = next((e for e in course.errors if e.path.stem.partition("-")[2] == slug), None)
            return render(request, "lessons.html", 500 if error else 404, course=course, missing=slug, error=error)
        before, after = course.neighbours(found)
        mounts, sheets = widget_mounts(found)
        position = course.lessons.index(found) + 1
        return render(
            request,
            "lesson.html",
            lesson=found,
            course=course,
            before=before,
            after=after,
            mounts=mounts,
            sheets=sheets,
            position=position,
        )

    @app.get("/glossary", response_class=HTMLResponse)
    def glossary(request: Request):
        return render(request, "glossary.html", notation=notation_html())

    @app.get("/layers", response_class=HTMLResponse)
    def layers(request: Request):
        return render(request, "layers.html", activations=activation.activation_choices())

    @app.get("/xo", response_class=HTMLResponse)
    def xo(request: Request):
        # The named samples' names make the drawing's URL field; their grids come with train.ready.
        return render(request, "xo.html", samples=list(named_samples(9)))

    @app.get("/digits", response_class=HTMLResponse)
    def digits_page(request: Request):
        return render(request, "digits.html")

    @app.get("/widget/{type}", response_class=HTMLResponse)
    def widget(request: Request, type: str):
        spec = TABLE.widgets.get(type)
        if spec is None:
            known = ", ".join(TABLE.widgets)
            return HTMLResponse(
                f"<!doctype html><title>No such widget</title><p>There is no widget called "
                f"{escape(type)}. The widgets are: {known}.</p>",
                status_code=404,
            )
        return render(request, "widget.html", type=type, spec=spec)

    @app.websocket("/ws")
    async def socket(websocket: WebSocket):
        if app.state.engine_threads is None:
            app.state.engine_threads = anyio.CapacityLimiter(ENGINE_THREADS)
        address = websocket.client.host if websocket.client else "?"
        refusal = app.state.occupancy.enter(address)
        if refusal is not None:  # said in a frame the page shows, then closed with "try again later"
            await websocket.accept()
            await websocket.send_text(error(None, "busy", None, refusal))
            await websocket.close(TRY_AGAIN_LATER, "server full")
            return
        session = Session(websocket, TABLE, idle_seconds, app.state.engine_threads, app.state.occupancy)
        app.state.sessions.add(session)
        try:
            await session.run()
        finally:
            app.state.sessions.discard(session)
            app.state.occupancy.leave(address)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return RedirectResponse("/static/favicon.svg")

    @app.get("/healthz")
    def health():
        jobs = sum(1 for s in app.state.sessions for desk in s.desks.values() if desk.job is not None)
        return {
            "ok": True,
            "engine_ready": app.state.engine_ready.is_set(),
            "sessions": len(app.state.sessions),
            "training_jobs": jobs,
            "training_runs": app.state.occupancy.training_runs,
        }

    return app
