"""Each augmentation on constructed digits: shape, range, that it does what it says, and determinism."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
import torch

from training.augment import (
    AugmentConfig,
    augment,
    blur,
    max3x3,
    renormalise,
    stroke_width,
    uneven_ink,
)
from training.warp import SIDE, affine_grid, elastic_offsets, random_warp

OFF = AugmentConfig().scaled(0.0)
Op = Callable[[torch.Tensor, AugmentConfig, torch.Generator], torch.Tensor]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def digits(b: int = 64, width: int = 2) -> torch.Tensor:
    """A centred "7"-like shape of ``width`` px strokes at full ink: a bar on top, a stem down."""
    x = torch.zeros(b, SIDE, SIDE)
    x[:, 6 : 6 + width, 8:20] = 1.0
    x[:, 6:22, 18 : 18 + width] = 1.0
    return x


def centroid(x: torch.Tensor) -> torch.Tensor:
    idx = torch.arange(SIDE, dtype=torch.float32)
    mass = x.sum((1, 2))
    return torch.stack([(x.sum(2) * idx).sum(1) / mass, (x.sum(1) * idx).sum(1) / mass], 1)


OPS: dict[str, tuple[Op, AugmentConfig]] = {
    "warp": (random_warp, replace(OFF, max_rotation_deg=12, max_shift_px=2, p_elastic=1, elastic_px=1.5)),
    "stroke_width": (stroke_width, replace(OFF, p_thicken=0.5, p_thin=0.5)),
    "uneven_ink": (uneven_ink, replace(OFF, p_faint=1.0, max_faint_depth=0.9)),
    "blur": (blur, replace(OFF, p_blur=1.0, max_blur_sigma=1.2)),
    "augment": (augment, AugmentConfig()),
}


@pytest.mark.parametrize("name", OPS)
def test_shape_range_and_determinism(name: str) -> None:
    op, cfg = OPS[name]
    x = digits()
    out = op(x, cfg, gen(1))
    assert out.shape == x.shape and out.dtype == torch.float32
    assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6, "pixels stay in [0, 1]"
    assert torch.equal(out, op(x, cfg, gen(1))), "the same seed gives the same batch"
    assert not torch.equal(out, op(x, cfg, gen(2))), "another seed gives another batch"
    assert not torch.equal(out, x), f"{name} changed nothing"
    assert torch.equal(x, digits()), "the input is not modified in place"


@pytest.mark.parametrize("name", OPS)
def test_zero_strength_is_the_identity(name: str) -> None:
    op, _ = OPS[name]
    x = digits()
    torch.testing.assert_close(op(x, OFF, gen()), x, atol=1e-5, rtol=0)


def test_affine_shift_moves_the_digit_at_most_max_shift_px() -> None:
    x = digits(512)
    grid = affine_grid(512, replace(OFF, max_shift_px=2.0), gen())
    out = torch.nn.functional.grid_sample(x.unsqueeze(1), grid, align_corners=False).squeeze(1)
    moved = (centroid(out) - centroid(x)).abs()
    assert moved.max() <= 2.0 + 0.05 and moved.max() > 1.5


def test_elastic_displacement_has_the_configured_size_and_is_smooth() -> None:
    offsets = elastic_offsets(4000, replace(OFF, p_elastic=1.0, elastic_px=1.5), gen()) * SIDE / 2  # px
    corner_std = float(offsets[:, 0, 0, :].std())  # the corners are control points
    assert corner_std == pytest.approx(1.5, rel=0.1)
    step = (offsets[:, 1:, :, :] - offsets[:, :-1, :, :]).abs().mean()
    assert step < 0.25 * offsets.abs().mean(), "neighbouring pixels move together"
    half = elastic_offsets(4000, replace(OFF, p_elastic=0.5, elastic_px=1.5), gen())
    still = (half.abs().amax((1, 2, 3)) == 0).float().mean()
    assert 0.45 < still < 0.55, "p_elastic is the share of images that are distorted"


def test_elastic_warp_changes_shape_but_keeps_ink_and_place() -> None:
    x = digits(1000)
    out = random_warp(x, replace(OFF, p_elastic=1.0, elastic_px=1.0), gen())
    assert ((out - x).abs().sum((1, 2)) > 1.0).all()
    ink_change = (out.sum((1, 2)) / x.sum((1, 2)) - 1).abs()  # stretched parts gain ink, squeezed lose
    assert ink_change.median() < 0.1 and ink_change.max() < 0.5
    assert (centroid(out) - centroid(x)).abs().max() < 3.0


def test_max3x3_is_a_3x3_max_pool() -> None:
    x = torch.rand(8, SIDE, SIDE, generator=gen())
    expected = torch.nn.functional.max_pool2d(x.unsqueeze(1), 3, stride=1, padding=1).squeeze(1)
    assert torch.equal(max3x3(x), expected)


def test_thicken_widens_every_stroke_by_a_graded_amount() -> None:
    x = digits(256, width=2)
    out = stroke_width(x, replace(OFF, p_thicken=1.0), gen())
    assert (out >= x).all() and (out.sum((1, 2)) > x.sum((1, 2))).all()
    gained = out.sum((1, 2)) / x.sum((1, 2))
    assert gained.max() - gained.min() > 0.5, "pens of many widths, not one"
    assert gained.max() <= 3.0, "at most a 3x3 dilation: 2 px wider"


def test_thin_narrows_strokes_but_one_pixel_strokes_survive() -> None:
    x = digits(256, width=1)
    out = stroke_width(x, replace(OFF, p_thin=1.0), gen())
    assert (out <= x).all() and (out.sum((1, 2)) < x.sum((1, 2))).all()
    assert (out[x > 0] >= 0.2 - 1e-6).all(), "a 1-px stroke keeps at least 20% of its ink"
    wide = digits(256, width=3)
    core = stroke_width(wide, replace(OFF, p_thin=1.0), gen())[:, 12, 19]  # the stem's middle column
    assert torch.equal(core, torch.ones(256)), "the core of a wide stroke keeps full ink"


def test_uneven_ink_fades_parts_of_the_stroke_smoothly_and_renormalises_to_full() -> None:
    x = digits(512)
    out = uneven_ink(x, replace(OFF, p_faint=1.0, max_faint_depth=0.8), gen())
    ratio = torch.where(x > 0, out / x.clamp_min(1e-6), torch.ones_like(x))
    assert (ratio <= 1.0 + 1e-6).all() and (ratio >= 0.2 - 1e-6).all(), "at most depth 0.8 is taken"
    spread = ratio.amax((1, 2)) - torch.where(x > 0, ratio, torch.ones_like(x)).amin((1, 2))
    assert (spread > 0.3).float().mean() > 0.4, "uneven: some parts much fainter than others"
    assert ((ratio[:, 6, 9:20] - ratio[:, 6, 8:19]).abs() < 0.2).all(), "a smooth field, not noise"
    assert torch.allclose(renormalise(out).amax((1, 2)), torch.ones(512))


def test_deep_fading_can_break_a_stroke() -> None:
    x = digits(512)
    out = uneven_ink(x, replace(OFF, p_faint=1.0, max_faint_depth=1.0), gen())
    weakest = torch.where(x > 0, out, torch.ones_like(x)).amin((1, 2))
    assert (weakest < 0.05).any(), "some strokes fade to nearly nothing"


def test_blur_softens_edges_keeps_ink_and_respects_max_sigma() -> None:
    impulse = torch.zeros(400, SIDE, SIDE)
    impulse[:, 14, 14] = 1.0
    out = blur(impulse, replace(OFF, p_blur=1.0, max_blur_sigma=1.2), gen())
    torch.testing.assert_close(out.sum((1, 2)), torch.ones(400))
    idx = torch.arange(SIDE, dtype=torch.float32) - 14
    sigma = ((out.sum(1) * idx**2).sum(1)).sqrt()  # the horizontal spread of the blurred point
    assert sigma.min() >= 0.4 and sigma.max() <= 1.2 + 0.01, "a sigma in [0.5, max] px, as sampled"
    assert sigma.max() - sigma.min() > 0.6, "blurs of many widths"
    x = digits()
    soft = blur(x, replace(OFF, p_blur=1.0), gen())
    edges = lambda t: (t[:, :, 1:] - t[:, :, :-1]).abs().sum()  # noqa: E731
    assert edges(soft) < edges(x)


def test_renormalise_stretches_to_one_and_leaves_blank_images_blank() -> None:
    x = digits(4) * torch.tensor([0.3, 0.5, 1.0, 0.0])[:, None, None]
    out = renormalise(x)
    assert out.amax((1, 2)).tolist() == [1.0, 1.0, 1.0, 0.0]
    assert not out.isnan().any()


def test_probabilities_choose_a_share_of_the_batch() -> None:
    x = digits(2000)
    out = blur(x, replace(OFF, p_blur=0.25, max_blur_sigma=1.0), gen())
    changed = ((out - x).abs().amax((1, 2)) > 0).float().mean()
    assert 0.2 < changed < 0.3


def test_augmented_batches_look_like_preprocessed_uploads() -> None:
    x = digits(512)
    out = augment(x, AugmentConfig(), gen())
    torch.testing.assert_close(out.amax((1, 2)), torch.ones(512)), "strongest ink is 1, as served"
    assert ((out - x).abs().amax((1, 2)) > 0.05).float().mean() > 0.9, "nearly every digit is altered"
    assert (centroid(out) - centroid(x)).abs().max() < 5.0, "still roughly centred"


def test_scaled_multiplies_every_field() -> None:
    cfg = AugmentConfig()
    assert cfg.scaled(1.0) == cfg
    half = cfg.scaled(0.5)
    assert half.p_blur == cfg.p_blur / 2 and half.elastic_px == cfg.elastic_px / 2
