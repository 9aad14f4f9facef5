"""The one table of features: every message type (request model, answer type, handler) and every widget.

The socket session, the pages, the lesson renderer and the tests read it. To add a
feature, write its module (models beside handlers, ending in a ``FEATURE``) and
list it here; nothing else holds a list of message types or widgets.
"""

from __future__ import annotations

from ..core.table import Table
from . import (
    activation,
    architecture,
    augment,
    backprop,
    classroom,
    conv,
    conv1d,
    digits,
    grouped,
    im2col,
    norm,
    params,
    pipeline,
    pool,
    presets,
    receptive,
    residual,
    softmax,
    training,
    transpose,
)

TABLE = Table(
    (
        conv.FEATURE,
        presets.FEATURE,
        pool.FEATURE,
        activation.FEATURE,
        backprop.FEATURE,
        pipeline.FEATURE,
        conv1d.FEATURE,
        im2col.FEATURE,
        transpose.FEATURE,
        residual.FEATURE,
        receptive.FEATURE,
        grouped.FEATURE,
        softmax.FEATURE,
        params.FEATURE,
        architecture.FEATURE,
        norm.FEATURE,
        augment.FEATURE,
        training.FEATURE,
        classroom.FEATURE,
        digits.FEATURE,
    )
)
