"""The check functions a lesson question names (lessons/FORMAT.md, "Check functions").

Each takes the arguments written in the question's ``check`` and returns
``(answer, work)``: the engine's answer and one line of working a learner can
follow, e.g. ``(3, "(7 − 3)/2 + 1 = 3")``. The answer always comes from the
engine (``engine.shapes`` for sizes and counts, the kernels for values); the
working is written from the same numbers. Bad arguments raise ValueError
naming the argument, so a lesson author reads which one to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine import avg_pool2d, checks, conv1d, conv2d, max_pool2d, shapes, trace

from .check_parts import MINUS, TIMES, Answer, _dot, _flag, _grid, _number, _side, _value
from .checks_grouped import CHECKS as GROUPED_CHECKS
from .checks_im2col import CHECKS as IM2COL_CHECKS
from .checks_layers import CHECKS as LAYER_CHECKS
from .checks_receptive import CHECKS as RECEPTIVE_CHECKS
from .checks_residual import CHECKS as RESIDUAL_CHECKS
from .checks_softmax import CHECKS as SOFTMAX_CHECKS

# ------------------------------------------------------------------ sizes and counts


def output_size(n, k, s=1, p=0, d=1) -> Answer:
    """Output width of a window of ``k`` at stride ``s``, padding ``p``, dilation ``d`` over ``n`` cells."""
    ax = shapes.axis(
        checks.integer("n", n, 1),
        checks.integer("k", k, 1),
        checks.integer("s", s, 1),
        checks.integer("p", p, 0),
        None,
        checks.integer("d", d, 1),
    )
    if not ax.fits_at_all:
        reach = ax.d * (ax.k - 1) + 1
        return 0, f"a window of {reach} is wider than the {ax.n + 2 * ax.pad_before} cells it slides over: no output"
    work = ax.formula()
    if not ax.whole:
        left = ax.leftover
        work += f", floored to {ax.size} ({left} cell{'s' if left > 1 else ''} at the end no window reaches)"
    return ax.size, work


def same_padding(k, d=1) -> Answer:
    """The padding per side that keeps the output as wide as the input at stride 1 ("same" padding)."""
    k, d = checks.integer("k", k, 1), checks.integer("d", d, 1)
    reach = d * (k - 1) + 1  # the dilated window's width
    n = reach  # any width the window fits: at stride 1 the padding that keeps one keeps them all
    p = next((p for p in range(reach) if shapes.axis(n, k, 1, p, None, d).size == n), None)
    if p is None:
        raise ValueError(f"k: a window of {reach} (even) cannot keep the size with the same padding on both sides")
    return p, f"({reach} {MINUS} 1)/2 = {p}, and (n + 2{TIMES}{p} {MINUS} {reach})/1 + 1 = n"


def output_shape(input, layers) -> Answer:
    """The last shape of a layer stack, as text (``"16 × 16 × 16"``, height × width × channels)."""
    if not isinstance(input, Sequence) or isinstance(input, str) or len(input) != 3:
        raise ValueError(f"input must be [channels, height, width], got {input!r}")
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"layers must be a non-empty list of layer specs, got {layers!r}")
    c, h, w = (checks.integer(f"input[{i}]", v, 1) for i, v in enumerate(input))
    rows = shapes.layer_table((c, h, w), layers)
    text = lambda shape: f" {TIMES} ".join(str(v) for v in shape)
    chain = [text((h, w, c))] + [text(r.shape) for r in rows]
    return chain[-1], " → ".join(chain)


def conv_params(k, c_in, c_out, bias=True) -> Answer:
    """Learned numbers of a convolution layer: ``(k·k·c_in + 1)·c_out`` with bias."""
    kh, kw = _side("k", k)
    c_in, c_out = checks.integer("c_in", c_in, 1), checks.integer("c_out", c_out, 1)
    bias = _flag("bias", bias)
    answer = shapes.conv_params((kh, kw), c_in, c_out, bias)
    per = f"{kh}{TIMES}{kw}{TIMES}{c_in}"
    work = f"({per} + 1){TIMES}{c_out}" if bias else f"{per}{TIMES}{c_out}"
    return answer, f"{work} = {answer}"


def dense_params(n_in, n_out, bias=True) -> Answer:
    """Learned numbers of a fully connected layer: ``(n_in + 1)·n_out`` with bias."""
    n_in, n_out = checks.integer("n_in", n_in, 1), checks.integer("n_out", n_out, 1)
    bias = _flag("bias", bias)
    answer = shapes.dense_params(n_in, n_out, bias)
    work = f"({n_in} + 1){TIMES}{n_out}" if bias else f"{n_in}{TIMES}{n_out}"
    return answer, f"{work} = {answer}"


def local_params(outputs, window, channels=1) -> Answer:
    """Locally connected: each output unit has its own weights, one per input in its window (no sharing)."""
    outputs = checks.integer("outputs", outputs, 1)
    kh, kw = _side("window", window)
    channels = checks.integer("channels", channels, 1)
    per_unit = shapes.conv_params((kh, kw), channels, 1, bias=False)  # one unit's window of weights
    answer = outputs * per_unit
    window_text = f"{kh}{TIMES}{kw}" + (f"{TIMES}{channels}" if channels > 1 else "")
    return answer, f"{outputs} units {TIMES} {window_text} weights each = {answer}"


def shared_params(filters, window, channels=1) -> Answer:
    """Shared filters: the filters' weights only, however many positions they slide over."""
    filters = checks.integer("filters", filters, 1)
    kh, kw = _side("window", window)
    channels = checks.integer("channels", channels, 1)
    answer = shapes.conv_params((kh, kw), channels, filters, bias=False)
    window_text = f"{kh}{TIMES}{kw}" + (f"{TIMES}{channels}" if channels > 1 else "")
    return answer, f"{filters} filter{'s' if filters > 1 else ''} {TIMES} {window_text} weights = {answer}"


def receptive_field(layers) -> Answer:
    """Side of the input region one cell of the last layer sees, for square windows ``[{kernel, stride}]``."""
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"layers must be a non-empty list of {{kernel, stride}}, got {layers!r}")
    specs, terms, jump = [], ["1"], 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or set(layer) - {"kernel", "stride"} or "kernel" not in layer:
            raise ValueError(f"layers[{i}] must be {{kernel, stride}}, got {layer!r}")
        k = checks.integer(f"layers[{i}].kernel", layer["kernel"], 1)
        s = checks.integer(f"layers[{i}].stride", layer.get("stride", 1), 1)
        specs.append({"type": "conv", "filters": 1, "kernel": k, "stride": s})
        terms.append(f"({k} {MINUS} 1){TIMES}{jump}")
        jump *= s
    answer = shapes.receptive_field(specs)
    return answer, f"{' + '.join(terms)} = {answer}"


def layer_table(net, layer, column) -> Answer:
    """One cell of a network's shape table (engine.shapes.layer_table): ``shape``, ``params`` or ``size``."""
    networks, tabulate = _networks()
    if net not in networks:
        raise ValueError(f"net must be one of {', '.join(sorted(networks))}, got {net!r}")
    column = checks.choice("column", column, ("shape", "params", "size"))
    rows = tabulate(*networks[net])
    row = next((r for r in rows if isinstance(layer, str) and r.name.lower() == layer.lower()), None)
    if row is None:
        raise ValueError(f"layer must be a row of the {net} table ({', '.join(r.name for r in rows)}), got {layer!r}")
    if column == "shape":
        text = f" {TIMES} ".join(str(v) for v in row.shape)
        return text, f"{row.name}: {text}"
    if column == "size":
        if len(row.shape) == 1:
            return row.size, f"{row.name}: {row.size} units"
        return row.size, f"{row.name}: " + f" {TIMES} ".join(str(v) for v in row.shape) + f" = {row.size}"
    return row.params, f"{row.name}: {row.formula} = {row.params}" if row.formula else f"{row.name}: no weights, 0"


def _networks() -> tuple[dict[str, tuple], Callable[..., list[shapes.Row]]]:
    """The networks the engine can tabulate and the function that does it: engine.architectures'
    (with residual blocks, padded pooling and the deeper networks' blocks) when present, else
    LeNet-5 by engine.shapes."""
    nets = {"lenet5": (shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)}
    try:
        from engine.architectures import ALL_NETWORKS as NETWORKS
        from engine.architectures import layer_table as tabulate
    except ImportError:  # the table of named networks is optional
        return nets, shapes.layer_table
    return {**nets, **NETWORKS}, tabulate


# ------------------------------------------------------------------ values


def conv1d_value(signal, kernel, index, flip=False) -> Answer:
    """One output of the sliding dot product of ``kernel`` over ``signal`` (no padding, stride 1)."""
    x = _grid("signal", signal, 1)  # (L,)
    w = _grid("kernel", kernel, 1)  # (K,)
    flip = _flag("flip", flip)
    if w.size > x.size:
        raise ValueError(f"kernel must be no longer than the signal ({x.size}), got {w.size} taps")
    count = x.size - w.size + 1
    index = checks.integer("index", index, 0, count - 1)
    y = conv1d(x[None, None, :], w[None, None, :], flip=flip)  # (1, 1, L_out)
    t = trace.conv1d_trace(x[None, None, :], w[None, None, :], flip=flip)
    return _value(y[0, 0, index]), _dot(t.window[index].ravel(), t.weights[0].ravel(), y[0, 0, index])


def conv2d_value(input, kernel, row, col, stride=1, padding=0, flip=False) -> Answer:
    """One output cell (``row``, ``col``) of a one-channel convolution (cross-correlation unless ``flip``)."""
    x = _grid("input", input, 2)  # (H, W)
    w = _grid("kernel", kernel, 2)  # (KH, KW)
    stride = checks.integer("stride", stride, 1)
    padding = checks.integer("padding", padding, 0)
    flip = _flag("flip", flip)
    out = shapes.window_output(x.shape, w.shape, (stride, stride), (padding,) * 4)
    if not out.fits_at_all:
        raise ValueError(f"kernel must fit the input: {out.problem()}")
    oh, ow = out.shape
    row, col = checks.integer("row", row, 0, oh - 1), checks.integer("col", col, 0, ow - 1)
    y = conv2d(x[None, None], w[None, None], stride=stride, padding=padding, flip=flip)  # (1, 1, OH, OW)
    t = trace.conv2d_trace(
        x[None, None], w[None, None], stride=stride, padding=padding, flip=flip, start=row * ow + col, count=1
    )
    return _value(y[0, 0, row, col]), _dot(t.window[0].ravel(), t.weights[0].ravel(), y[0, 0, row, col])


def pool_value(input, window, stride, row, col, mode="max") -> Answer:
    """One pooled cell (``row``, ``col``) of max or average pooling of a one-channel input."""
    x = _grid("input", input, 2)  # (H, W)
    k = checks.integer("window", window, 1)
    s = checks.integer("stride", stride, 1)
    mode = checks.choice("mode", mode, ("max", "avg"))
    out = shapes.window_output(x.shape, (k, k), (s, s), what="window")
    if not out.fits_at_all:
        raise ValueError(f"window must fit the input: {out.problem()}")
    oh, ow = out.shape
    row, col = checks.integer("row", row, 0, oh - 1), checks.integer("col", col, 0, ow - 1)
    if mode == "max":
        y = max_pool2d(x[None, None], k, s)[0]  # (1, 1, OH, OW)
    else:
        y = avg_pool2d(x[None, None], k, s)  # (1, 1, OH, OW)
    t = trace.pool2d_trace(x[None, None], k, s, mode)
    cells = ", ".join(_number(v) for v in t.window[row * ow + col].ravel())
    value = _value(y[0, 0, row, col])
    if mode == "max":
        return value, f"max({cells}) = {_number(value)}"
    return value, f"({cells.replace(', ', ' + ')})/{k * k} = {_number(value)}"


CHECKS: dict[str, Callable[..., Answer]] = {
    "output_size": output_size,
    "same_padding": same_padding,
    "output_shape": output_shape,
    "conv_params": conv_params,
    "dense_params": dense_params,
    "local_params": local_params,
    "shared_params": shared_params,
    "conv1d_value": conv1d_value,
    "conv2d_value": conv2d_value,
    "pool_value": pool_value,
    "receptive_field": receptive_field,
    "layer_table": layer_table,
}


def all_checks() -> dict[str, Callable[..., Answer]]:
    """Every check function by name: these and :mod:`app.lessons.checks_layers`'."""
    return CHECKS | LAYER_CHECKS | SOFTMAX_CHECKS | GROUPED_CHECKS | RECEPTIVE_CHECKS | RESIDUAL_CHECKS | IM2COL_CHECKS


def run_check(spec: dict) -> Answer:
    """Run ``{fn: name, ...arguments}``; ValueError names the function or argument that is wrong.

    ``digits`` (any check with a number for an answer) rounds the answer to that many decimals, for a
    choice that prints it rounded ("0.142"); the working keeps the engine's full value.
    """
    if not isinstance(spec, dict) or "fn" not in spec:
        raise ValueError(f"check must be {{fn: name, ...arguments}}, got {spec!r}")
    args = {k: v for k, v in spec.items() if k not in ("fn", "digits")}
    table = all_checks()
    fn = table.get(spec["fn"])
    if fn is None:
        raise ValueError(f"fn must be one of {', '.join(table)}, got {spec['fn']!r}")
    try:
        answer, work = fn(**args)
    except TypeError as exc:  # a missing or unknown argument
        raise ValueError(f"{spec['fn']}: {exc}".replace(f"{fn.__name__}() ", "")) from None
    if "digits" not in spec:
        return answer, work
    digits = checks.integer("digits", spec["digits"], 0, 6)
    if isinstance(answer, str):
        raise ValueError(f"digits: {spec['fn']} answers with text ({answer!r}), which cannot be rounded")
    rounded = round(float(answer), digits)
    rounded = int(rounded) if rounded.is_integer() else rounded
    return rounded, f"{work} ≈ {_number(rounded)}"
