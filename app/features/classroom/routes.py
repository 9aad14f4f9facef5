"""The classroom's own addresses: the join page, the instructor's link, the QR code and the results.

The command adds them to its app (:func:`install`); a class's messages go over the page's
websocket like every other feature's. The QR code is made by segno, as an SVG the
projector scales to any size. The results need the instructor's secret, sent in a header
(``X-Class-Key``) so it never sits in an address, a log or the browser's history.
"""

from __future__ import annotations

import io

import segno
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from .polls import results_csv
from .room import holds_key, hub

NO_CLASS = "There is no such class on this server; a class that has ended has no code."


def qr_svg(text: str) -> bytes:
    """``text`` as a QR code: an SVG without a fixed size (it fills the box it is put in), dark on white."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=1, border=2, xmldecl=False, omitsize=True, light="#fff")
    return out.getvalue()


def install(app: FastAPI) -> None:
    """Add the classroom's pages and files to ``app``, and close the store when the server stops."""
    from app.pages import page_context, templates  # the pages import the feature table, this among it

    def page(request: Request, template: str) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"context": page_context()})

    @app.get("/join", response_class=HTMLResponse)
    def join(request: Request):
        return page(request, "classroom-join.html")

    @app.get("/class/teach", response_class=HTMLResponse)
    def teach(request: Request):
        return page(request, "classroom-teach.html")

    @app.get("/class/{code}/qr.svg")
    async def qr(code: str):
        record = await hub().store.get(code.upper())
        if record is None:
            return PlainTextResponse(NO_CLASS, status_code=404)
        svg = qr_svg(f"{record.join}?code={record.code}")
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @app.get("/class/{code}/results.csv")
    async def results(code: str, request: Request):
        store = hub().store
        record = await store.get(code.upper())
        if record is None:
            return PlainTextResponse(NO_CLASS, status_code=404)
        if not holds_key(record, request.headers.get("x-class-key", "")):
            return PlainTextResponse("Only the instructor's link may download the results.", status_code=403)
        text = results_csv(
            await store.polls(record.code), await store.answers(record.code), await store.nicknames(code)
        )
        name = f"convscope-class-{code}.csv"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    async def close_store():
        await hub().close()

    app.router.add_event_handler("shutdown", close_store)
