"""A deliberately naive FastAPI + onnxruntime digit server: the baseline the benchmark compares against.

This is what a typical tutorial writes, kept honest: no batching and no tricks, but nothing sabotaged.
Each request is decoded with Pillow (resized to 28x28, /255) and run through ``session.run`` inline in
the ``async def`` handler; the session has onnxruntime's default options; the response goes through
FastAPI's default JSON encoder; one uvicorn worker. Same routes and request formats as the service
(multipart parts named ``file``, or JSON ``{"images": [<base64 file> | <28x28 array of 0-255>]}``),
so the same load scripts hit both.

Run: ``python -m bench.servers.naive --port 8001 [--model models/mnist-lstm/<version>/model.onnx]``.
"""

from __future__ import annotations

import argparse
import base64
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from PIL import Image
from starlette.datastructures import UploadFile

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "mnist-lstm"


def latest_model(model_dir: Path = MODEL_DIR) -> Path:
    """``model.onnx`` of the highest numbered version directory."""
    versions = [int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    if not versions:
        raise FileNotFoundError(f"no model versions under {model_dir}")
    return model_dir / str(max(versions)) / "model.onnx"


def image_to_array(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    return np.asarray(image, dtype=np.float32) / 255.0


def create_app(model_path: Path) -> FastAPI:
    sessions: dict[str, ort.InferenceSession] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sessions["model"] = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        yield

    app = FastAPI(title="Naive digit server", lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/predict")
    async def predict(request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            images = [
                image_to_array(base64.b64decode(item))
                if isinstance(item, str)
                else np.array(item, dtype=np.float32) / 255.0
                for item in body["images"]
            ]
        else:
            form = await request.form()
            files = [part for part in form.getlist("file") if isinstance(part, UploadFile)]
            images = [image_to_array(await part.read()) for part in files]
        if not images:
            raise HTTPException(status_code=422, detail="no images")
        logits = sessions["model"].run(None, {"pixels": np.stack(images)})[0]
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = exp / exp.sum(axis=1, keepdims=True)
        predictions = [
            {"digit": int(p.argmax()), "confidence": float(p.max()), "probabilities": p.tolist()}
            for p in probabilities
        ]
        return {"model": "mnist-lstm", "predictions": predictions}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The naive baseline digit server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on")
    parser.add_argument("--model", type=Path, default=None, help="model.onnx (default: the highest version)")
    parser.add_argument("--log-level", default="info", help="uvicorn's log level (info logs each request)")
    args = parser.parse_args(argv)
    app = create_app(args.model or latest_model())
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level)


if __name__ == "__main__":
    main()
