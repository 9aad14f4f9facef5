"""The widget types a page can mount on its own (/widget/<type>) or a lesson can embed.

One table, read by the pages, the lesson renderer and the tests: the ES module
that implements each type (face: ``fields``, ``consistent``, ``mount``) and the
style sheets it needs. Each module lives in its own folder, ``static/js/widgets/<type>/``.
"""

from __future__ import annotations

import functools

from engine.xo_data import named_samples

from .labels import LABELS
from .protocol import ANSWERS, REQUESTS, activation_choices, limits
from .protocol_training import IN_ORDER
from .schemas import page_schema

WIDGET_TYPES: dict[str, dict] = {
    "playground": {"module": "js/widgets/playground/index.js", "css": ["css/playground.css"], "title": "Convolution playground"},
    "conv1d": {"module": "js/widgets/conv1d/index.js", "css": ["css/playground.css", "css/layers.css", "css/conv1d.css"], "title": "1-D convolution"},
    "params": {"module": "js/widgets/params/index.js", "css": ["css/playground.css", "css/layers.css", "css/params.css"], "title": "Counting parameters"},
    "architecture": {"module": "js/widgets/architecture/index.js", "css": ["css/playground.css", "css/layers.css", "css/architecture.css"], "title": "Architectures"},
    "pool": {"module": "js/widgets/pool/index.js", "css": ["css/playground.css", "css/layers.css"], "title": "Pooling"},
    "activation": {"module": "js/widgets/activation/index.js", "css": ["css/playground.css", "css/layers.css"], "title": "Activations"},
    "norm": {"module": "js/widgets/norm/index.js", "css": ["css/playground.css", "css/layers.css", "css/norm.css"], "title": "Normalization"},
    "pipeline": {"module": "js/widgets/pipeline/index.js", "css": ["css/playground.css", "css/layers.css", "css/pipeline.css"], "title": "A whole layer"},
    "backprop": {"module": "js/widgets/backprop/index.js", "css": ["css/playground.css", "css/layers.css", "css/backprop.css"], "title": "Backprop, step by step"},
    "xo-train": {"module": "js/widgets/xo-train/index.js", "css": ["css/playground.css", "css/xo.css"], "title": "X vs O, training"},
    "xo-draw": {"module": "js/widgets/xo-draw/index.js", "css": ["css/playground.css", "css/xo.css"], "title": "X vs O, classify your own"},
    "augment": {"module": "js/widgets/augment/index.js", "css": ["css/playground.css", "css/layers.css", "css/augment.css"], "title": "Data augmentation"},
}


# What the activation menu calls each function the engine offers (the names are activation_choices()').
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "abs": "Absolute value", "sigmoid": "Sigmoid",
                     "tanh": "tanh", "elu": "ELU", "selu": "SELU"}


@functools.cache
def widget_context() -> dict:
    """What every widget's mount() may read: the server's limits, the activation menu, the X/O samples."""
    return {"limits": limits(), "choices": activation_choices(), "samples": list(named_samples(9)),
            # The request → answer map (ordered: carried out in turn, never superseded), each request's
            # parameters as a schema, and the labels of named things: the page types none of them.
            "protocol": {t: {"answer": ANSWERS[t], "ordered": t in IN_ORDER} for t in REQUESTS},
            "schemas": {t: page_schema(m) for t, m in REQUESTS.items()},
            "labels": {**LABELS, "activations": ACTIVATION_LABELS}}
