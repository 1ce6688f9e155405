"""Light, batched data augmentation for MNIST-like digits.

Small random affine transforms (rotation, scale, shear, translation) and
stroke-width jitter make the model robust to how real photos and drawings
look after the service's preprocessing, without hurting MNIST accuracy.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    max_rotation_deg: float = 12.0
    max_scale_delta: float = 0.12
    max_shear: float = 0.15
    max_shift_px: float = 2.0
    p_thicken: float = 0.15
    p_thin: float = 0.15

    def scaled(self, factor: float) -> AugmentConfig:
        """Every magnitude and probability multiplied by ``factor`` (0 disables augmentation)."""
        return AugmentConfig(*(factor * v for v in astuple(self)))


def random_affine(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Apply an independent random affine transform to each image of ``x[B, 28, 28]``."""
    b = x.shape[0]

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(b, generator=generator) * 2 - 1) * limit

    angle = uniform(math.radians(cfg.max_rotation_deg))
    scale = 1 + uniform(cfg.max_scale_delta)
    shear = uniform(cfg.max_shear)
    shift = torch.stack([uniform(1.0), uniform(1.0)], dim=1) * (2 * cfg.max_shift_px / 28)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin + shear * cos
    theta[:, 1, 0], theta[:, 1, 1] = sin, cos + shear * sin
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, [b, 1, 28, 28], align_corners=False)
    out = F.grid_sample(x.unsqueeze(1), grid, align_corners=False, padding_mode="zeros")
    return out.squeeze(1)


def stroke_jitter(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Thicken (grey dilation) or thin (grey erosion) the strokes of a random subset."""
    u = torch.rand(x.shape[0], generator=generator)
    thick = u < cfg.p_thicken
    thin = (u >= cfg.p_thicken) & (u < cfg.p_thicken + cfg.p_thin)
    if not (thick.any() or thin.any()):
        return x
    img = x.unsqueeze(1)
    dilated = F.max_pool2d(img, 3, stride=1, padding=1).squeeze(1)
    # A soft erosion: blend with the grey erosion so thin MNIST strokes survive.
    eroded = 0.5 * x + 0.5 * -F.max_pool2d(-img, 3, stride=1, padding=1).squeeze(1)
    out = torch.where(thick[:, None, None], dilated, x)
    return torch.where(thin[:, None, None], eroded, out)


def augment(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """The full training-time augmentation of a batch of ``[B, 28, 28]`` floats in [0, 1]."""
    return stroke_jitter(random_affine(x, cfg, generator), cfg, generator).clamp_(0.0, 1.0)
