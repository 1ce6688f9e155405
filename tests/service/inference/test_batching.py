"""The batcher's policy, tested with fake models (tests/fakes.py) and plain asyncio.

Each scenario runs under ``asyncio.run`` with a generous overall bound, so a hang fails the test
instead of blocking the suite. Nothing here asserts on speed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from service.errors import DeadlineExceeded, InvalidArray, NotReady, Overloaded
from service.inference.batching import Batcher
from tests.fakes import (
    ErrorModel,
    GatedModel,
    RecordingObserver,
    SlowModel,
    SumModel,
    WrongRowsModel,
    sums,
    tagged,
)

HANG_S = 10.0  # far above any legitimate run time: only a hang reaches it


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(scenario(), HANG_S)

    return asyncio.run(bounded())


async def started(batcher: Batcher) -> Batcher:
    await batcher.start()
    return batcher


async def worker_busy(model: GatedModel) -> None:
    """Wait until the worker thread is inside the gated predict."""
    assert await asyncio.to_thread(model.entered.wait, HANG_S), "the batch never reached the model"


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds."""
    while not condition():
        await asyncio.sleep(0.001)


def assert_own_rows(out: np.ndarray, ids: list[int]) -> None:
    assert out.shape == (len(ids), 10), f"expected {len(ids)} rows of 10, got {out.shape}"
    assert out[:, 0].tolist() == ids, f"caller expected rows for ids {ids}, got {out[:, 0].tolist()}"


def test_concurrent_requests_fill_batches_to_max_batch_size() -> None:
    model, observer = SumModel(), RecordingObserver()

    async def scenario() -> list[np.ndarray]:
        # A wait far longer than HANG_S: the batches can only close because they are full.
        batcher = await started(Batcher(model, max_batch_size=8, max_wait_ms=60_000, observer=observer))
        outs = await asyncio.gather(*(batcher.submit(tagged([i])) for i in range(24)))
        await batcher.stop()
        return outs

    outs = run(scenario)
    assert model.batch_sizes == [8, 8, 8], (
        f"24 waiting requests should make 3 full batches: {model.batch_sizes}"
    )
    for i, out in enumerate(outs):
        assert_own_rows(out, [i])
    assert [size for size, _, _ in observer.batches] == [8, 8, 8], "observer not told each batch size"
    assert all(len(waits) == 8 and min(waits) >= 0 for _, waits, _ in observer.batches)


def test_single_request_is_flushed_after_max_wait() -> None:
    model = SumModel()

    async def scenario() -> tuple[np.ndarray, float]:
        batcher = await started(Batcher(model, max_batch_size=64, max_wait_ms=100))
        start = time.perf_counter()
        out = await batcher.submit(tagged([7]))
        elapsed = time.perf_counter() - start
        await batcher.stop()
        return out, elapsed

    out, elapsed = run(scenario)
    assert_own_rows(out, [7])
    assert model.batch_sizes == [1], f"a lone request should be a batch of 1: {model.batch_sizes}"
    assert elapsed >= 0.09, f"the batcher should wait ~max_wait_ms for company, returned after {elapsed}s"


def test_model_error_reaches_every_caller_and_batcher_keeps_serving() -> None:
    model = ErrorModel(failures=1)

    async def scenario() -> tuple[list[Any], np.ndarray]:
        batcher = await started(Batcher(model, max_batch_size=5, max_wait_ms=20))
        results = await asyncio.gather(
            *(batcher.submit(tagged([i])) for i in range(5)), return_exceptions=True
        )
        after = await batcher.submit(tagged([42]))
        await batcher.stop()
        return results, after

    results, after = run(scenario)
    assert model.batch_sizes == [5, 1], f"expected one failed batch of 5, then one of 1: {model.batch_sizes}"
    assert all(result is model.error for result in results), f"every caller must get the error: {results}"
    assert_own_rows(after, [42])


def test_requests_arriving_while_the_worker_is_busy_join_the_waiting_batch() -> None:
    model = GatedModel()

    async def scenario() -> None:
        batcher = await started(Batcher(model, max_batch_size=8, max_wait_ms=0))
        first = asyncio.create_task(batcher.submit(tagged([1])))
        await worker_busy(model)
        second = asyncio.create_task(batcher.submit(tagged([2])))
        await asyncio.sleep(0)
        await until(lambda: batcher.queued_images == 0)  # batch [2] is closed, waiting for the worker
        later = [asyncio.create_task(batcher.submit(tagged([i]))) for i in range(3, 7)]
        await asyncio.sleep(0)
        model.release()
        for task, i in zip([first, second, *later], range(1, 7), strict=True):
            assert_own_rows(await task, [i])
        await batcher.stop()

    run(scenario)
    assert model.batch_sizes == [1, 5], f"late arrivals should top up the waiting batch: {model.batch_sizes}"


def test_the_observer_gets_each_requests_label_in_batch_order() -> None:
    model, observer = GatedModel(), RecordingObserver()

    async def scenario() -> None:
        batcher = await started(Batcher(model, max_batch_size=8, max_wait_ms=0, observer=observer))
        first = asyncio.create_task(batcher.submit(tagged([1]), label="grpc"))
        await worker_busy(model)
        labels = ["http", "grpc", "http", ""]
        later = [asyncio.create_task(batcher.submit(tagged([i]), label=k)) for i, k in enumerate(labels, 2)]
        await asyncio.sleep(0)
        model.release()
        for task, i in zip([first, *later], range(1, 6), strict=True):
            assert_own_rows(await task, [i])
        await batcher.stop()

    run(scenario)
    assert observer.labels == [["grpc"], ["http", "grpc", "http", ""]], "labels mean nothing to the batcher"


def test_wrong_number_of_rows_fails_every_caller_of_the_batch() -> None:
    async def scenario() -> list[Any]:
        batcher = await started(Batcher(WrongRowsModel(), max_batch_size=3, max_wait_ms=60_000))
        results = await asyncio.gather(
            *(batcher.submit(tagged([i])) for i in range(3)), return_exceptions=True
        )
        await batcher.stop()
        return results

    results = run(scenario)
    assert all(isinstance(r, RuntimeError) for r in results), f"invariant violation not fanned out: {results}"
    assert "4" in str(results[0]) and "3" in str(results[0]), f"message should give both counts: {results[0]}"


def test_mixed_request_sizes_each_get_their_own_rows_and_are_never_split() -> None:
    model = SumModel()
    sizes = [1, 3, 2, 5, 1, 4, 2, 6]
    counter = itertools.count(1)
    requests = [[next(counter) for _ in range(size)] for size in sizes]

    async def scenario() -> list[np.ndarray]:
        batcher = await started(Batcher(model, max_batch_size=8, max_wait_ms=20))
        outs = await asyncio.gather(*(batcher.submit(tagged(ids)) for ids in requests))
        await batcher.stop()
        return outs

    outs = run(scenario)
    for out, ids in zip(outs, requests, strict=True):
        assert_own_rows(out, ids)
    assert max(model.batch_sizes) > 1, f"concurrent requests were not batched: {model.batch_sizes}"
    request_edges = set(itertools.accumulate(sizes))
    batch_edges = set(itertools.accumulate(model.batch_sizes))
    assert batch_edges <= request_edges, f"a request was split: batches {model.batch_sizes}, requests {sizes}"


def test_request_bigger_than_max_batch_size_is_predicted_alone_in_chunks() -> None:
    model = SumModel()
    requests = [[1, 2], list(range(10, 20)), [99]]

    async def scenario() -> list[np.ndarray]:
        batcher = await started(Batcher(model, max_batch_size=4, max_wait_ms=20))
        outs = await asyncio.gather(*(batcher.submit(tagged(ids)) for ids in requests))
        await batcher.stop()
        return outs

    outs = run(scenario)
    for out, ids in zip(outs, requests, strict=True):
        assert_own_rows(out, ids)
    assert model.batch_sizes == [2, 4, 4, 2, 1], f"big request not chunked on its own: {model.batch_sizes}"


def test_full_queue_raises_overloaded_without_waiting() -> None:
    model, observer = GatedModel(), RecordingObserver()

    async def scenario() -> None:
        batcher = await started(
            Batcher(model, max_batch_size=1, max_wait_ms=0, max_queue_images=4, observer=observer)
        )
        in_flight = asyncio.create_task(batcher.submit(tagged([1])))
        await worker_busy(model)
        next_batch = asyncio.create_task(batcher.submit(tagged([2, 3])))
        await asyncio.sleep(0)  # queued...
        await until(lambda: batcher.queued_images == 0)  # taken as the next batch, waiting for the worker
        waiting = [asyncio.create_task(batcher.submit(tagged([4, 5]))) for _ in range(2)]
        await asyncio.sleep(0)
        assert batcher.queued_images == 4, f"expected a full queue of 4 images, got {batcher.queued_images}"
        # The first step of the coroutine must raise: submit never suspends to wait for room.
        with pytest.raises(Overloaded):
            batcher.submit(tagged([5])).send(None)
        model.release()
        await asyncio.gather(in_flight, next_batch, *waiting)
        await batcher.stop()

    run(scenario)
    assert observer.rejected == 1, f"observer should count one rejection, got {observer.rejected}"


def test_deadline_passed_while_queued_raises_and_is_never_computed() -> None:
    model = GatedModel()

    async def scenario() -> np.ndarray:
        batcher = await started(Batcher(model, max_batch_size=1, max_wait_ms=0))
        in_flight = asyncio.create_task(batcher.submit(tagged([1])))
        await worker_busy(model)
        with pytest.raises(DeadlineExceeded):
            await batcher.submit(tagged([2]), deadline_s=0.05)
        model.release()
        assert_own_rows(await in_flight, [1])
        later = await batcher.submit(tagged([3]), deadline_s=HANG_S)
        await batcher.stop()
        return later

    assert_own_rows(run(scenario), [3])
    assert model.batch_sizes == [1, 1], f"the expired request must not reach the model: {model.batch_sizes}"


def test_deadline_passed_during_predict_raises_and_batcher_keeps_serving() -> None:
    async def scenario() -> np.ndarray:
        batcher = await started(Batcher(SlowModel(delay_s=0.3), max_batch_size=1, max_wait_ms=0))
        with pytest.raises(DeadlineExceeded):
            await batcher.submit(tagged([1]), deadline_s=0.05)
        later = await batcher.submit(tagged([2]))
        await batcher.stop()
        return later

    assert_own_rows(run(scenario), [2])


def test_timeout_error_from_the_model_is_not_reported_as_deadline() -> None:
    async def scenario() -> None:
        batcher = await started(Batcher(ErrorModel(error=TimeoutError("model's own timeout"))))
        with pytest.raises(TimeoutError, match="model's own timeout"):
            await batcher.submit(tagged([1]), deadline_s=HANG_S)
        await batcher.stop()

    run(scenario)


def test_cancelled_callers_do_not_break_the_batch_for_others() -> None:
    model = GatedModel()

    async def scenario() -> None:
        batcher = await started(Batcher(model, max_batch_size=4, max_wait_ms=0))
        in_flight = [asyncio.create_task(batcher.submit(tagged([i]))) for i in (1, 2)]
        await worker_busy(model)
        queued = [asyncio.create_task(batcher.submit(tagged([i]))) for i in (3, 4, 5)]
        await asyncio.sleep(0)
        in_flight[0].cancel()
        queued[1].cancel()
        model.release()
        results = await asyncio.gather(*in_flight, *queued, return_exceptions=True)
        await batcher.stop()
        assert isinstance(results[0], asyncio.CancelledError) and isinstance(
            results[3], asyncio.CancelledError
        )
        for result, i in ((results[1], 2), (results[2], 3), (results[4], 5)):
            assert isinstance(result, np.ndarray), (
                f"caller {i} failed after a neighbour cancelled: {result!r}"
            )
            assert_own_rows(result, [i])

    run(scenario)
    assert model.batch_sizes == [2, 2], f"the cancelled queued caller must be dropped: {model.batch_sizes}"


def test_batch_size_one_and_no_wait_means_no_batching() -> None:
    model = SumModel()

    async def scenario() -> list[np.ndarray]:
        batcher = await started(Batcher(model, max_batch_size=1, max_wait_ms=0))
        outs = await asyncio.gather(*(batcher.submit(tagged([i])) for i in range(20)))
        await batcher.stop()
        return outs

    outs = run(scenario)
    assert model.batch_sizes == [1] * 20, f"every request should be predicted alone: {model.batch_sizes}"
    for i, out in enumerate(outs):
        assert_own_rows(out, [i])


def test_stop_finishes_queued_and_in_flight_requests_and_refuses_new_ones() -> None:
    model = GatedModel()

    async def scenario() -> None:
        batcher = await started(Batcher(model, max_batch_size=2, max_wait_ms=0))
        pending = [asyncio.create_task(batcher.submit(tagged([i]))) for i in range(1, 7)]
        await worker_busy(model)
        stopping = asyncio.create_task(batcher.stop())
        await asyncio.sleep(0)
        assert not batcher.running, "running must turn False as soon as stop() begins"
        with pytest.raises(NotReady):
            await batcher.submit(tagged([99]))
        model.release()
        await stopping
        for task, i in zip(pending, range(1, 7), strict=True):
            assert_own_rows(task.result(), [i])
        await asyncio.wait_for(batcher.stop(), 1)  # idempotent: returns at once
        with pytest.raises(RuntimeError, match="cannot be started again"):
            await batcher.start()

    run(scenario)
    assert sum(model.batch_sizes) == 6, f"every accepted image should be predicted once: {model.batch_sizes}"


def test_stop_fails_what_is_left_after_the_drain_timeout() -> None:
    model = GatedModel()

    async def scenario() -> list[Any]:
        batcher = await started(Batcher(model, max_batch_size=1, max_wait_ms=0))
        pending = [asyncio.create_task(batcher.submit(tagged([i]))) for i in range(3)]
        await worker_busy(model)
        await batcher.stop(drain_timeout_s=0.05)
        model.release()  # let the worker thread finish its stale batch
        return await asyncio.gather(*pending, return_exceptions=True)

    results = run(scenario)
    assert all(isinstance(r, NotReady) for r in results), f"leftovers must fail with NotReady: {results}"


def test_submit_before_start_and_bad_arrays_are_refused() -> None:
    async def scenario() -> None:
        batcher = Batcher(SumModel())
        with pytest.raises(NotReady):
            await batcher.submit(tagged([1]))
        await batcher.stop()  # stopping a batcher that never started is harmless
        batcher = await started(Batcher(SumModel()))
        with pytest.raises(InvalidArray, match="float32"):
            await batcher.submit(np.zeros((1, 28, 28), dtype=np.float64))
        with pytest.raises(InvalidArray, match="shape"):
            await batcher.submit(np.zeros((1, 28, 27), dtype=np.float32))
        with pytest.raises(InvalidArray, match="shape"):
            await batcher.submit(np.zeros((0, 28, 28), dtype=np.float32))
        assert_own_rows(await batcher.submit(tagged([5])), [5])
        await batcher.stop()

    run(scenario)


def test_sums_fake_encodes_ids() -> None:
    assert sums(tagged([3, 8]))[:, 0].tolist() == [3, 8], "the fake's id encoding is broken"
