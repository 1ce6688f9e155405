"""Dynamic batching: gather images from concurrent requests into one model call.

Policy (the only part of serving that is ours):

* The queue is bounded in *images*. A request that would push it past ``max_queue_images`` is
  refused at once with :class:`Overloaded`; ``submit`` never waits for room.
* The collector takes the oldest waiting request, then adds whole requests in arrival order until the
  batch holds ``max_batch_size`` images or ``max_wait_ms`` has passed since the first was taken; if
  the worker is still busy then, it keeps topping the batch up until the worker is free. A small
  request is never split; a request bigger than ``max_batch_size`` forms a batch of its own, predicted
  in chunks of ``max_batch_size``. ``max_batch_size=1, max_wait_ms=0`` means no batching at all.
* One predict runs at a time, in a single worker thread, while the next batch is being collected.
* If predict raises, every caller of that batch gets the *same* exception object; a model that returns
  the wrong shape gives every caller a ``RuntimeError``. Later batches are served as usual.
* A caller that is cancelled or passes its deadline leaves the others untouched; a request whose
  caller has gone by the time its batch is launched is never computed.

The batcher knows nothing of HTTP or metrics; an optional :class:`BatchObserver` is told about each
batch and each refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from service.errors import DeadlineExceeded, InvalidArray, NotReady, Overloaded

PredictFn = Callable[[np.ndarray], np.ndarray]
"""float32 [B, 28, 28] -> float32 [B, 10]; blocking, always called from one worker thread."""

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


class BatchObserver(Protocol):
    """Hook for metrics; called on the event loop thread, after the callers have their results.

    ``size`` counts images; ``queue_wait_s`` holds, per request, the time from submit to the launch
    of its batch; ``infer_s`` is the time spent in predict (all chunks); ``labels`` holds, per request,
    the opaque label its caller gave ``submit``.
    """

    def on_batch(
        self, size: int, queue_wait_s: Sequence[float], infer_s: float, labels: Sequence[str]
    ) -> None: ...

    def on_rejected(self) -> None: ...


@dataclass(slots=True)
class _Request:
    images: np.ndarray
    future: asyncio.Future[np.ndarray]
    enqueued_s: float
    expires_s: float | None
    label: str


class Batcher:
    """Collects concurrent ``submit`` calls into batches for one blocking ``predict`` function."""

    def __init__(
        self,
        predict: PredictFn,
        max_batch_size: int = 64,
        max_wait_ms: float = 2.0,
        max_queue_images: int = 1024,
        observer: BatchObserver | None = None,
    ) -> None:
        if max_batch_size < 1 or max_wait_ms < 0 or max_queue_images < 1:
            raise ValueError("max_batch_size and max_queue_images must be >= 1, max_wait_ms >= 0")
        self._predict = predict
        self._max_batch = max_batch_size
        self._max_wait_s = max_wait_ms / 1000.0
        self._max_queue = max_queue_images
        self._observer = observer
        self._queue: deque[_Request] = deque()
        self._queued = 0
        self._collecting: list[_Request] = []  # the batch being gathered
        self._collecting_size = 0  # images in it
        self._predicting: list[_Request] = []  # the batch in the worker thread
        self._accepting = False
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._wakeup = asyncio.Event()

    @property
    def queued_images(self) -> int:
        """Images waiting in the queue (not yet taken into a batch)."""
        return self._queued

    @property
    def running(self) -> bool:
        """True between ``start()`` and the beginning of ``stop()``."""
        return self._accepting and self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the worker thread and the collector task; a stopped batcher cannot restart."""
        if self.running:
            return
        if self._executor is not None:
            raise RuntimeError("a stopped Batcher cannot be started again")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batcher-predict")
        self._accepting = True
        self._task = asyncio.get_running_loop().create_task(self._run(), name="batcher-collector")

    async def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Refuse new requests, finish queued and in-flight ones, then stop; idempotent.

        Whatever is still unfinished after ``drain_timeout_s`` fails with :class:`NotReady`.
        """
        self._accepting = False
        self._wakeup.set()
        if (task := self._task) is None:
            return
        _, pending = await asyncio.wait([task], timeout=drain_timeout_s)
        if pending:
            task.cancel()
            await asyncio.wait([task])
        _fail([*self._queue, *self._collecting, *self._predicting], NotReady("the service is shutting down"))
        self._queue.clear()
        self._queued = 0
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(
        self, images: np.ndarray, deadline_s: float | None = None, label: str = ""
    ) -> np.ndarray:
        """Predict float32 ``[n, 28, 28]`` images; returns their ``[n, 10]`` rows in order.

        ``deadline_s`` is a budget in seconds from now; past it the caller gets
        :class:`DeadlineExceeded` and the request is dropped if it has not been launched yet.
        ``label`` means nothing here: the observer is told each batch's labels (e.g. the protocols).
        """
        if not self._accepting:
            raise NotReady("the model is not accepting requests (not started or shutting down)")
        _check_images(images)
        if self._queued + len(images) > self._max_queue:
            if self._observer is not None:
                self._observer.on_rejected()
            raise Overloaded("too many images are waiting for the model; retry later")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        now = time.perf_counter()
        expires = None if deadline_s is None else now + deadline_s
        self._queue.append(_Request(images, future, now, expires, label))
        self._queued += len(images)
        self._wakeup.set()
        if deadline_s is None:
            return await future
        # A timer on the loop, not asyncio.timeout(): that costs a Timeout object, a reschedule and a
        # cancellation dance per request, ~6% of a one-image request in a profile.
        timer = loop.call_later(deadline_s, _expire, future, deadline_s)
        try:
            return await future
        finally:
            timer.cancel()

    async def _run(self) -> None:
        """Collect batch k+1 while batch k is predicted; exit once stopping and drained."""
        inflight: asyncio.Future[tuple[np.ndarray, float]] | None = None
        while await self._collect():
            if inflight is not None and not inflight.done():
                await asyncio.wait([inflight])
                self._top_up()  # the worker was busy: add what arrived meanwhile, for free
            inflight = self._launch()
        if inflight is not None:
            await asyncio.wait([inflight])

    async def _collect(self) -> bool:
        """Gather a batch until it is full or ``max_wait_ms`` passed; False when stopping and drained."""
        while not self._queue:
            if not self._accepting:
                return False
            await self._wait(None)
        give_up_s = time.perf_counter() + self._max_wait_s
        while not self._top_up() and self._accepting and (left_s := give_up_s - time.perf_counter()) > 0:
            await self._wait(left_s)
        return True

    def _top_up(self) -> bool:
        """Move whole queued requests into the batch while they fit; True once it can take no more."""
        while self._queue:
            n = len(self._queue[0].images)
            if self._collecting and self._collecting_size + n > self._max_batch:
                return True
            request = self._queue.popleft()
            self._queued -= n
            self._collecting.append(request)
            self._collecting_size += n
        return self._collecting_size >= self._max_batch

    async def _wait(self, timeout_s: float | None) -> None:
        """Sleep until a request arrives, stop() is called, or ``timeout_s`` passes."""
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._wakeup.wait()

    def _launch(self) -> asyncio.Future[tuple[np.ndarray, float]] | None:
        """Send the collected batch, minus callers already gone or expired, to the worker thread."""
        now = time.perf_counter()
        batch = []
        for request in self._collecting:
            if request.expires_s is not None and request.expires_s <= now and not request.future.done():
                request.future.set_exception(DeadlineExceeded("the deadline passed while queued"))
            if not request.future.done():
                batch.append(request)
        self._collecting, self._collecting_size, self._predicting = [], 0, batch
        if not batch:
            return None
        assert self._executor is not None, "start() creates the executor"
        arrays = [request.images for request in batch]
        inflight = asyncio.get_running_loop().run_in_executor(self._executor, self._predict_all, arrays)
        inflight.add_done_callback(lambda done: self._fan_out(batch, now, done))
        return inflight

    def _predict_all(self, arrays: list[np.ndarray]) -> tuple[np.ndarray, float]:
        """Worker thread: one concatenate, predict (in chunks if too big), check; returns (rows, s)."""
        images = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
        start = time.perf_counter()
        m = self._max_batch
        if len(images) <= m:
            rows = self._predict_checked(images)
        else:
            chunks = [self._predict_checked(images[i : i + m]) for i in range(0, len(images), m)]
            rows = np.concatenate(chunks)
        return rows, time.perf_counter() - start

    def _predict_checked(self, images: np.ndarray) -> np.ndarray:
        rows = self._predict(images)
        if not isinstance(rows, np.ndarray) or rows.shape != (len(images), NUM_CLASSES):
            got = getattr(rows, "shape", type(rows).__name__)
            raise RuntimeError(f"model returned {got} for a batch of {len(images)} images")
        return rows

    def _fan_out(
        self, batch: list[_Request], launched_s: float, done: asyncio.Future[tuple[np.ndarray, float]]
    ) -> None:
        """Loop thread: give each caller its rows, or the batch's exception; then tell the observer."""
        if self._predicting is batch:
            self._predicting = []
        if done.cancelled():
            _fail(batch, NotReady("the service is shutting down"))
            return
        if (error := done.exception()) is not None:
            _fail(batch, error)
            return
        rows, infer_s = done.result()
        start = 0
        for request in batch:
            end = start + len(request.images)
            if not request.future.done():
                request.future.set_result(rows[start:end])
            start = end
        if self._observer is not None:
            waits = [launched_s - request.enqueued_s for request in batch]
            self._observer.on_batch(len(rows), waits, infer_s, [request.label for request in batch])


def _expire(future: asyncio.Future[np.ndarray], deadline_s: float) -> None:
    """The caller's deadline passed: fail it now; a batch not yet launched will skip it."""
    if not future.done():
        future.set_exception(DeadlineExceeded(f"no result within the deadline of {deadline_s:g} s"))


def _fail(requests: Sequence[_Request], error: BaseException) -> None:
    """Give ``error`` to every caller in ``requests`` still waiting."""
    for request in requests:
        if not request.future.done():
            request.future.set_exception(error)


def _check_images(images: np.ndarray) -> None:
    """Refuse what would break a whole batch: wrong type, dtype or shape, or no images."""
    if not isinstance(images, np.ndarray) or images.dtype != np.float32:
        raise InvalidArray("images must be a float32 array")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(images) == 0:
        raise InvalidArray(f"images must have shape [n, 28, 28] with n >= 1, got {list(images.shape)}")
