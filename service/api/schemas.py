"""Request and response models: the exact shapes of the JSON API, for validation and OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Pixels = Annotated[
    list[list[float]],
    Field(description="A 28x28 array of pixels, light digit on dark background (MNIST style)."),
]
Base64File = Annotated[str, Field(description="An image file (PNG, JPEG, ...) encoded as base64.")]


class PredictRequest(BaseModel):
    """Images to classify: base64-encoded files, 28x28 pixel arrays, or a mix."""

    model_config = ConfigDict(extra="forbid")

    images: list[Base64File | Pixels] = Field(min_length=1, description="One or more images.")
    value_range: Literal["0-255", "0-1"] = Field(
        "0-255", description="Scale of pixel arrays: integers 0-255 (default) or floats 0-1."
    )
    return_input: bool = Field(False, description="Also return the 28x28 input the model saw.")


class Prediction(BaseModel):
    digit: int = Field(ge=0, le=9, description="The most probable digit.")
    confidence: float = Field(ge=0, le=1, description="Its probability.")
    uncertain: bool = Field(
        description="True when the model's calibrated confidence is below its threshold: the image is "
        "probably not a single digit, or one the model cannot read. The threshold is in GET /model "
        "(calibration)."
    )
    probabilities: list[float] = Field(min_length=10, max_length=10, description="P(digit) for 0..9.")
    input: list[list[float]] | None = Field(
        None, description="The normalised 28x28 model input, when return_input was asked for."
    )


class PredictResponse(BaseModel):
    model: str
    version: int
    predictions: list[Prediction]


class DigitReading(BaseModel):
    digit: int = Field(ge=0, le=9, description="The digit read.")
    confidence: float = Field(ge=0, le=1, description="The model's probability for it.")
    uncertain: bool = Field(description="True when the model's calibrated confidence is below its threshold.")
    box: list[int] = Field(
        min_length=4,
        max_length=4,
        description="[x0, y0, x1, y1]: where the digit is, in pixels of the image as sent "
        "(x1 and y1 exclusive).",
    )
    input: list[list[float]] | None = Field(
        None, description="The normalised 28x28 model input, when return_input was asked for."
    )


class NumberReading(BaseModel):
    text: str = Field(description='The digits read, left to right, e.g. "42".')
    uncertain: bool = Field(description="True when any of its digits is uncertain.")
    digits: list[DigitReading]


class ReadResponse(BaseModel):
    model: str
    version: int
    numbers: list[NumberReading] = Field(description="One reading per image, in the order sent.")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code, e.g. corrupt_image.")
    message: str = Field(description="What was wrong, for humans.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok", "ready", "not ready"]


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    version: int
    sha256: str
    created_at: str
    provider: str
    test_accuracy: float | None
    input_contract: dict[str, Any]
    labels: list[str]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries with the error body model for each status."""
    return {s: {"model": ErrorResponse} for s in statuses}
