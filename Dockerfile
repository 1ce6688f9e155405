# Images of the digit service.
#
#   docker build -t digits-service .                      # CPU serving image (default; == --target runtime)
#   docker build --target train -t digits-train .          # CPU training image (torch==2.13.0+cpu)
#   docker build --target gpu -t digits-service:gpu .      # CUDA serving image (onnxruntime-gpu)
#
# Stage order matters: the classic builder (and compose-smoke, which mirrors it) builds every
# stage up to the target, so `runtime` comes before `train` and `gpu`, and the last stage only
# re-exports `runtime` as the default target. BuildKit builds just the stages a target needs.

# ---------------------------------------------------------------- requirements
# The dependency lists, taken from pyproject.toml so there is one source of truth.
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml constraints.txt deploy/requirements.py ./
RUN python requirements.py service > service.txt \
 && python requirements.py service --exclude onnxruntime > service-gpu.txt \
 && python requirements.py training > training.txt

# ---------------------------------------------------------------- builder
# The service's dependencies only (no torch), in a venv that the runtime stage copies whole.
# Slimmed by ~110 MB: no .pyc (the runtime stage compiles just what the service imports), no
# test suites (numpy's and scipy's), and no symbol tables or debug info in extension modules
# (uvloop alone carries 10 MB of it). The vendored *.libs are left alone: auditwheel patched them.
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Debian package versions are not pinned: the python:3.11-slim tag itself moves with Debian's updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
COPY --from=requirements /src/service.txt /src/constraints.txt /tmp/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-compile -c /tmp/constraints.txt -r /tmp/service.txt \
 && /opt/venv/bin/pip uninstall -y pip setuptools \
 && find /opt/venv -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} + \
 && find /opt/venv -name '*.cpython-*.so' -exec strip --strip-unneeded {} +

# ---------------------------------------------------------------- runtime (CPU serving)
FROM python:3.11-slim AS runtime
ARG APP_UID=10001
RUN useradd --uid "${APP_UID}" --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin digits
# Defaults of service/config.py except the bind address; override any DIGITS_* at run time.
# ORT_DISABLE_TELEMETRY: onnxruntime would otherwise try to persist a telemetry device id (and warn
# on a read-only root filesystem).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_WAIT_POLICY=PASSIVE \
    ORT_DISABLE_TELEMETRY=1 \
    DIGITS_HOST=0.0.0.0 \
    DIGITS_PORT=8000 \
    DIGITS_GRPC_PORT=8001 \
    DIGITS_WORKERS=1 \
    DIGITS_ORT_INTRA_OP_THREADS=1 \
    DIGITS_ORT_INTER_OP_THREADS=1 \
    DIGITS_MODEL_REPOSITORY=/app/models
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY service/ service/
COPY models/ models/
# Byte-compile what the service imports when it starts (the root filesystem is read-only at run
# time, so nothing could be cached then; compiling all of site-packages would add ~50 MB).
RUN env -u PYTHONDONTWRITEBYTECODE python -c "import service.__main__, service.app, uvicorn.loops.auto, \
uvicorn.protocols.http.auto, uvicorn.protocols.websockets.auto, uvicorn.lifespan.on, uvicorn.supervisors; \
from PIL import Image; Image.init()"
USER ${APP_UID}:${APP_UID}
# 8000: HTTP (REST, the page, /metrics); 8001: the Open Inference Protocol over gRPC (h2c).
EXPOSE 8000 8001
# Shell form on purpose: ${DIGITS_PORT} is expanded when the check runs.
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${DIGITS_PORT:-8000}/readyz', timeout=2)" || exit 1
CMD ["python", "-m", "service"]

# ---------------------------------------------------------------- train (CPU training)
#   docker compose run --rm train --epochs 1        (mounts ./data, ./models and ./runs)
# torch comes from PyTorch's CPU index: PyPI's Linux wheel pulls ~3 GB of CUDA libraries.
FROM python:3.11-slim AS train
ARG APP_UID=10001
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=PASSIVE MPLCONFIGDIR=/tmp/matplotlib ORT_DISABLE_TELEMETRY=1 \
    MNIST_DIR=/app/data/mnist
RUN useradd --uid "${APP_UID}" --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin digits
COPY --from=requirements /src/training.txt /src/constraints.txt /tmp/
RUN pip install --no-deps --index-url "${TORCH_INDEX_URL}" torch==2.13.0 \
 && pip install -c /tmp/constraints.txt -r /tmp/training.txt
WORKDIR /app
COPY training/ training/
USER ${APP_UID}:${APP_UID}
ENTRYPOINT ["python", "training/train.py"]
CMD []

# ---------------------------------------------------------------- gpu (CUDA serving)
# Not buildable where only python:3.X images exist (compose-smoke skips it). onnxruntime-gpu
# >= 1.27 on PyPI is built for CUDA 13 + cuDNN 9 (<= 1.26 for CUDA 12), hence the CUDA 13 base.
# Ubuntu 24.04 ships Python 3.12; the pinned versions in constraints.txt all have cp312 wheels.
FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04 AS gpu
ARG APP_UID=10001
ARG ORT_GPU_VERSION=1.31.1
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid "${APP_UID}" --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin digits
COPY --from=requirements /src/service-gpu.txt /src/constraints.txt /tmp/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -c /tmp/constraints.txt -r /tmp/service-gpu.txt "onnxruntime-gpu==${ORT_GPU_VERSION}" \
 && /opt/venv/bin/pip uninstall -y pip
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORT_DISABLE_TELEMETRY=1 \
    DIGITS_HOST=0.0.0.0 \
    DIGITS_PORT=8000 \
    DIGITS_GRPC_PORT=8001 \
    DIGITS_WORKERS=1 \
    DIGITS_PROVIDER=cuda \
    DIGITS_MODEL_REPOSITORY=/app/models
WORKDIR /app
COPY service/ service/
COPY models/ models/
RUN python -m compileall -q service
USER ${APP_UID}:${APP_UID}
EXPOSE 8000 8001
# Shell form on purpose: ${DIGITS_PORT} is expanded when the check runs.
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${DIGITS_PORT:-8000}/readyz', timeout=2)" || exit 1
CMD ["python", "-m", "service"]

# ---------------------------------------------------------------- default target
FROM runtime AS default
