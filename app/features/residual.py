"""residual.run (PROTOCOL.md, "residual.run"): a residual block's every map and gradient, and a depth study.

No math here: the example input and weights, the upstream gradient, the block's maps, its
gradients (∂L/∂x split along the skip and through F) and the chains' gradient norms all come
from engine.residual. The models bound every field; a setting the block cannot take (an identity
shortcut across a change of shape) is refused naming the field to change.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine.residual import block_backward, block_forward, depth_study, example_block, example_upstream

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, Seed, inconsistent, real, whole

MAX_CHANNELS = 4
MAX_SIDE = 8
MAX_DEPTH = 50
MAX_SCALE = 2.0  # past it a 50-layer residual chain's maps run towards float32's limit

Scale = real(0, MAX_SCALE)


# The choices the widget offers, with the labels its chips show (the page reads them: context.labels).
UPSTREAM_LABELS = {"ones": "∂L/∂y = 1", "seeded": "Mixed", "centre": "One cell"}
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "tanh", "identity": "none"}
CHAIN_LABELS = {"both": "Both", "plain": "Plain", "residual": "Residual"}
LABELS = {
    "residual_upstreams": UPSTREAM_LABELS,
    "residual_activations": ACTIVATION_LABELS,
    "residual_chains": CHAIN_LABELS,
}


class ResidualRunParams(Params):
    example: Literal["integers", "normal"] = Field(
        "integers", description="integers: x in 0…3, weights −1, 0 or 1; normal: N(0, 1) x, He-scaled weights"
    )
    seed: Seed = Field(0, description="the example's input and weights")
    channels: whole(1, MAX_CHANNELS) = Field(1, description="C_in")
    out_channels: whole(1, MAX_CHANNELS) = Field(1, description="C_out; equal to C_in for an identity shortcut")
    height: whole(1, MAX_SIDE) = 6
    width: whole(1, MAX_SIDE) = 6
    kernel_size: whole(1, 5) = Field(3, description="k of both convolutions, odd ('same' padding k // 2)")
    shortcut: Literal["identity", "projection"] = "identity"
    stride: whole(1, 2) = Field(1, description="conv1's and the projection's stride")
    upstream: Literal[tuple(UPSTREAM_LABELS)] = Field("ones", description="∂L/∂y")
    depth: whole(1, MAX_DEPTH) = Field(20, description="layers of the depth study's chains")
    scale: Scale = Field(0.5, description="the chains' weight scale: each layer's variance gain is scale²")
    activation: Literal[tuple(ACTIVATION_LABELS)] = Field("relu", description="each chain layer: w ⋆ act(x)")
    chains: Literal[tuple(CHAIN_LABELS)] = "both"
    chain_seed: Seed = Field(1, description="the chains' input, upstream gradient and weights")

    @model_validator(mode="after")
    def _shapes(self):
        if self.kernel_size % 2 == 0:
            raise inconsistent(
                "kernel_size", f"kernel_size must be odd (1, 3 or 5) for 'same' padding, got {self.kernel_size}"
            )
        if self.shortcut == "identity" and self.stride != 1:
            raise inconsistent(
                "stride",
                f"an identity shortcut adds x itself, so the block must keep its size: stride must be 1, "
                f"got {self.stride}; use shortcut 'projection' (a 1×1 convolution at stride {self.stride})",
            )
        if self.shortcut == "identity" and self.out_channels != self.channels:
            raise inconsistent(
                "out_channels",
                f"an identity shortcut adds x itself, so out_channels must equal channels ({self.channels}), "
                f"got {self.out_channels}; use shortcut 'projection' to change the channels",
            )
        return self


class ResidualMeta(BaseModel):
    input_shape: list[int]  # (C_in, H, W)
    output_shape: list[int]  # (C_out, H_out, W_out)
    shortcut: str
    stride: int
    padding: int  # 'same': k // 2
    kernel_size: int
    grad_norms: dict[str, float]  # ‖∂L/∂x‖ along the skip, through F, and in total
    depth: int
    first: dict[str, float]  # ‖∂L/∂x_0‖, at the first layer's input, per chain
    chains: list[str]


@answers("residual.run", "residual.result")
def residual_run(p: ResidualRunParams) -> Answer:
    x, block = example_block(
        p.example, p.channels, p.out_channels, p.height, p.width, p.stride, p.shortcut, p.kernel_size, p.seed
    )  # (1, C_in, H, W)
    maps = block_forward(x, block)
    gy = example_upstream(p.upstream, maps.y.shape, p.seed)  # (1, C_out, H_out, W_out)
    grads = block_backward(gy, x, block, maps)
    modes = ("plain", "residual") if p.chains == "both" else (p.chains,)
    study = depth_study(p.depth, p.scale, p.activation, modes, p.chain_seed)
    arrays = {
        "x": x[0],
        **{name: getattr(maps, name)[0] for name in ("conv1", "relu1", "conv2", "shortcut", "sum", "y")},
        "grad_y": gy[0],
        "grad_sum": grads.sum[0],
        "grad_relu1": grads.relu1[0],
        "grad_conv1": grads.conv1[0],
        "grad_x_skip": grads.x_skip[0],
        "grad_x_residual": grads.x_residual[0],
        "grad_x": grads.x[0],
        "w1": block.w1,
        "w2": block.w2,
        "grad_w1": grads.w1,
        "grad_w2": grads.w2,
    }
    if block.ws is not None:
        arrays |= {"ws": block.ws, "grad_ws": grads.ws}
    first = {}
    for mode in modes:
        norms = getattr(study, mode)  # (L + 1,) float64
        arrays[f"{mode}_norms"] = norms.astype(np.float32)  # may flush below 1e-45 to 0: the log keeps it
        with np.errstate(divide="ignore"):
            arrays[f"{mode}_log10"] = np.log10(norms).astype(np.float32)  # −inf where nothing gets through
        first[mode] = float(norms[0])
    size = lambda a: float(np.linalg.norm(a.astype(np.float64)))  # noqa: E731
    meta = ResidualMeta(
        input_shape=list(x.shape[1:]),
        output_shape=list(maps.y.shape[1:]),
        shortcut=block.shortcut,
        stride=block.stride,
        padding=block.padding,
        kernel_size=p.kernel_size,
        grad_norms={"skip": size(grads.x_skip), "residual": size(grads.x_residual), "total": size(grads.x)},
        depth=study.depth,
        first=first,
        chains=list(modes),
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "residual",
    (residual_run,),
    widgets=(Widget("residual", "Residual block", (*LAYER_CSS, "js/widgets/residual/residual.css")),),
    fields={"x": "height", "ws": "shortcut", "w1": "kernel_size", "mode": "chains"},
)
