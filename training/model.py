"""The row-wise LSTM classifier and its input contract.

Each 28x28 image is read as 28 time steps of 28 pixels by one LSTM layer of
128 units; a linear layer on the last step's output gives 10 class logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

# The one definition of what the model expects. It is copied into every
# model's sidecar, and the service reads it from there.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
INPUT_CONTRACT: dict[str, Any] = {
    "shape": [28, 28],
    "dtype": "float32",
    "value_range": [0.0, 1.0],
    "scaling": "pixel / 255",
    "polarity": "light digit on dark background (0 = background)",
    "digit_box_px": 20,
    "centering": "centre of mass at the image centre",
    "normalisation": f"(x - {MNIST_MEAN}) / {MNIST_STD}, inside the model graph",
}


@dataclass(frozen=True)
class ModelConfig:
    input_size: int = 28
    hidden_size: int = 128
    num_layers: int = 1
    num_classes: int = 10

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class RowLSTM(nn.Module):
    """``float32[B, 28, 28]`` pixels in [0, 1] -> ``float32[B, 10]`` logits."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(config.input_size, config.hidden_size, config.num_layers, batch_first=True)
        self.head = nn.Linear(config.hidden_size, config.num_classes)
        self._init_recurrent()

    def _init_recurrent(self) -> None:
        """Orthogonal recurrent weights and a forget-gate bias of 1 (gate order i, f, g, o)."""
        h = self.config.hidden_size
        for name, param in self.lstm.named_parameters():
            if name.startswith("weight_hh"):
                for gate in range(4):
                    nn.init.orthogonal_(param.data[gate * h : (gate + 1) * h])
            elif name.startswith("bias_ih"):
                param.data.zero_()
                param.data[h : 2 * h] = 1.0
            elif name.startswith("bias_hh"):
                param.data.zero_()

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = (pixels - MNIST_MEAN) / MNIST_STD
        out, _ = self.lstm(x)
        logits: torch.Tensor = self.head(out[:, -1, :])
        return logits
