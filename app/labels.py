"""What the page calls each named thing the server knows: presets, networks, padding modes.

The names themselves come from the request models (the page reads them from the
schemas); this table only gives each the words a menu or a chip shows.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "inputs": {
        "x": "X", "o": "O", "digit": "7", "vertical_edge": "Vertical edge", "horizontal_edge": "Horizontal edge",
        "checkerboard": "Checkerboard", "photo": "Photo", "seed001": "Seed 001", "seed002": "Seed 002",
        "seed003": "Seed 003", "random": "Random values", "zeros": "Blank",
    },
    "kernels": {
        "identity": "Identity", "box_blur": "Box blur", "gaussian": "Gaussian blur", "sharpen": "Sharpen",
        "sobel_x": "Sobel x", "sobel_y": "Sobel y", "prewitt_x": "Prewitt x", "prewitt_y": "Prewitt y",
        "laplacian": "Laplacian", "emboss": "Emboss", "vertical_edge": "Vertical edge",
        "horizontal_edge": "Horizontal edge", "diagonal_down": "Diagonal ↘ (X feature)",
        "diagonal_up": "Diagonal ↗ (X feature)", "cross": "Cross", "xo_set": "X/O set (3 filters)",
        "seed001": "Seed 001 (2×2)", "seed001_detector": "Seed 001 detector", "seed002": "Seed 002 (two 3×3×3 filters)",
        "random": "Random",
    },
    "pad_modes": {"zeros": "zeros", "reflect": "reflection", "replicate": "copies of the edge"},
    "networks": {"lenet5": "LeNet-5", "alexnet": "AlexNet", "vgg16": "VGG-16", "resnet18": "ResNet-18"},
}
