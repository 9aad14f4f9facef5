"""One function per request type: checked params in, the engine called, a wire frame out.

Everything here runs on a worker thread (app.session sends it there), so it may
take as long as the engine needs without stalling any other page. It does no
math of its own: sizes, formulas, ranges and sentences come from engine.shapes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ValidationError

from engine import conv2d, shapes, trace
from engine.conv import ConvSpec
from engine.pad import pad

from . import presets, wire
from .grids import axis_meta
from .grids import conv_arrays as _arrays
from .grids import conv_output as _output
from .grids import conv_settings as _settings
from .handlers_arch import arch_table
from .handlers_augment import augment_run
from .handlers_conv1d import conv1d_run
from .handlers_grad import activation_backward, backward_run, backward_trace
from .handlers_norm import norm_run
from .handlers_params import params_count
from .handlers_pipeline import pipeline_run
from .handlers_pool import activation_run, pool_backward, pool_run, pool_trace
from .protocol import (
    ANSWERS,
    MAX_UPLOAD_BYTES,
    REQUESTS,
    ConvResultMeta,
    ConvRunParams,
    ConvTraceMeta,
    ConvTraceParams,
    ErrorReply,
    ImageUploadParams,
    InputPresetParams,
    InputValuesMeta,
    KernelPresetParams,
    KernelValuesMeta,
    Problem,
    explain,
    limits,
)
from .protocol_training import TRAINING_REQUESTS

log = logging.getLogger("convscope.handlers")

Reply = bytes | str  # a binary frame (a result) or a JSON text frame (an error)


def error(id: int | None, code: str, field: str | None, message: str) -> str:
    return ErrorReply(id=id, code=code, field=field, message=message).text()


# ---------------------------------------------------------------- convolution


def conv_meta(p: ConvRunParams, out: shapes.Output2D) -> dict:
    x, k = p.input, p.kernels
    layer = {"type": "conv", "filters": k.filters, "kernel": (k.height, k.width),
             "stride": p.stride, "padding": p.padding, "dilation": p.dilation}
    row = shapes.layer_table((x.channels, x.height, x.width), [layer])[0]
    top, _, left, _ = p.padding
    # The ranges assume symmetric padding per axis, as the sliders set it: the top (left) side stands for both.
    ranges = {name: shapes.conv_ranges(ax.n, ax.k, ax.s, before, ax.d, shapes.Limits())
              for name, ax, before in (("height", out.rows, top), ("width", out.cols, left))}
    return ConvResultMeta(
        output_shape=(k.filters, *out.shape),
        fits=out.whole,
        problem=out.problem(),
        suggestions=out.suggestions(),
        axes={"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
        params={"weights": shapes.conv_params((k.height, k.width), x.channels, k.filters, bias=False),
                "bias": k.filters, "total": row.params, "formula": row.formula},
        ranges=ranges,
        limits=limits(),
    ).model_dump()


def conv_run(id: int, p: ConvRunParams) -> bytes:
    out = _output(p)
    x, w, b = _arrays(p)
    y = conv2d(x, w, b, **_settings(p))[0]  # (F, OH, OW)
    spec = ConvSpec.make(p.stride, p.padding, p.dilation, p.pad_mode, p.flip)
    padded = pad(x, spec.padding, spec.pad_mode)[0]  # (C, Hp, Wp)
    weights = spec.kernel_weights(w)  # (F, C, KH, KW) as multiplied: turned 180° when flip
    arrays = {"output": y, "padded": padded, "weights": weights, "bias": b}
    return wire.encode(id, ANSWERS["conv.run"], conv_meta(p, out), arrays)


TRACE_ARRAYS = ("out_index", "origin", "window", "is_pad", "products", "channel_sums", "running_sum", "bias", "result")


def conv_trace(id: int, p: ConvTraceParams) -> bytes:
    out = _output(p)
    x, w, b = _arrays(p)
    f = p.filter
    # Only the one filter, and only the steps asked for: a 256×256 trace page costs what it shows.
    t = trace.conv2d_trace(x, w[f : f + 1], b[f : f + 1], **_settings(p), start=p.start, count=p.count)
    arrays = {name: t.arrays()[name] for name in TRACE_ARRAYS}
    arrays["out_index"] = arrays["out_index"].copy()  # (S, 3)
    arrays["out_index"][:, 0] = f  # the trace saw filter f as its only filter, 0
    meta = ConvTraceMeta(filter=f, start=p.start, count=len(t.result), steps_total=int(np.prod(t.output_shape)),
                         output_shape=(p.kernels.filters, *out.shape))
    return wire.encode(id, ANSWERS["conv.trace"], meta.model_dump(), arrays)


# ---------------------------------------------------------------- presets and uploads


def _input_frame(id: int, type_name: str, name: str, values: np.ndarray) -> bytes:
    c, h, w = values.shape
    meta = InputValuesMeta(name=name, channels=c, height=h, width=w)
    return wire.encode(id, ANSWERS[type_name], meta.model_dump(), {"values": values})


def input_preset(id: int, p: InputPresetParams) -> bytes:
    values = presets.input_image(p.name, p.height, p.width, p.channels, p.seed, p.cells, p.spread, p.decimals)  # (C, H, W)
    return _input_frame(id, "input.preset", p.name, values)


def kernel_preset(id: int, p: KernelPresetParams) -> bytes:
    w, b = presets.kernel(p.name, p.size, p.channels, p.filters, p.seed)  # (F, C, K, K), (F,)
    f, c, kh, kw = w.shape
    meta = KernelValuesMeta(name=p.name, filters=f, channels=c, height=kh, width=kw)
    return wire.encode(id, ANSWERS["kernel.preset"], meta.model_dump(), {"values": w, "bias": b})


def image_upload(id: int, p: ImageUploadParams) -> bytes:
    text = p.data.split(",", 1)[1] if p.data.startswith("data:") else p.data  # a data: URL as FileReader makes it
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Problem("invalid", "data", "data must be the picture's file in base64 (letters, digits, + and /), but it is not valid base64") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem("invalid", "data", f"data must be a file of at most 4 MB, got {len(data) / 2**20:.1f} MB")
    values = presets.upload(data, p.height, p.width, p.channels)  # (C, H, W)
    return _input_frame(id, "image.upload", "upload", values)


HANDLERS: dict[str, Callable[[int, BaseModel], bytes]] = {
    "conv.run": conv_run,
    "conv.trace": conv_trace,
    "input.preset": input_preset,
    "kernel.preset": kernel_preset,
    "image.upload": image_upload,
    "pool.run": pool_run,
    "pool.trace": pool_trace,
    "pool.backward": pool_backward,
    "activation.run": activation_run,
    "backward.run": backward_run,
    "backward.trace": backward_trace,
    "activation.backward": activation_backward,
    "pipeline.run": pipeline_run,
    "conv1d.run": conv1d_run,
    "params.count": params_count,
    "arch.table": arch_table,
    "norm.run": norm_run,
    "augment.run": augment_run,
}
# Training requests need the page's job, so app.session routes them to app.training instead.
assert HANDLERS.keys() == REQUESTS.keys() - TRAINING_REQUESTS.keys()

# The engine names its arguments as it knows them; the page knows them by their protocol names.
ENGINE_FIELDS = {"x": "input", "w": "kernels", "b": "bias", "kernel size": "kernels", "stride": "stride",
                 "padding": "padding", "dilation": "dilation", "pad_mode": "pad_mode", "start": "start", "count": "count",
                 "gy": "upstream.values", "kernel": "kernel", "mode": "mode", "activation": "name", "slope": "param", "alpha": "param"}


def _engine_field(message: str) -> str | None:
    """The protocol field an engine ValueError is about: its sentence starts with the argument's name."""
    subject = message.split(" must ", 1)[0]
    for name in sorted(ENGINE_FIELDS, key=len, reverse=True):
        if subject == name or subject.startswith((name + " ", name + "[")):
            return ENGINE_FIELDS[name]
    return None


def handle(id: int, type_name: str, params: dict) -> Reply:
    """Answer one request; never raises (an unexpected failure becomes an ``internal`` error)."""
    model = REQUESTS[type_name]
    try:
        try:
            checked = model.model_validate(params)
        except ValidationError as exc:
            return error(id, "invalid", *explain(exc, model, type_name))
        return HANDLERS[type_name](id, checked)
    except Problem as p:
        return error(id, p.code, p.field, p.message)
    except presets.FieldError as exc:
        return error(id, "invalid", exc.field, str(exc))
    except ValueError as exc:  # the engine refused, with a sentence naming the argument
        message = str(exc)
        field = _engine_field(message)
        code = "does_not_fit" if field == "kernels" and "fit" in message else "invalid"
        return error(id, code, field, message)
    except Exception:
        log.exception("%s request %s failed", type_name, id)
        return error(id, "internal", None, f"the server failed while answering {type_name}; the error was logged. Try again, or change a setting.")
