"""Stripe calls in flight under a bound, local writes in batches.

Worker threads (at most `concurrency`, the bound on Stripe calls in flight) only call
Stripe; the calling thread writes the answers as they arrive, many per transaction.
So no thread holds a database transaction during a network call, a slot never waits
on the database, and the accounts every charge touches (Stripe clearing, fees) are
locked once per batch rather than once per charge. A crash between a call and its
write loses nothing: the row stays pending and the rerun's same idempotency key
makes Stripe answer the same.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ledger.api import Ledger
from ledger.book import Book

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")
BATCH = 200  # answers written per transaction, at most
PENDING = ("pending", None)


def send_all(ledger: Ledger, items: Sequence[T], *, concurrency: int, send: Callable[[T], A],
             write: Callable[[Book, list[tuple[T, A]]], list[tuple[str, Any]]], what: str,
             after_call: Callable[[str, int], None] | None = None) -> list[tuple[T, tuple[str, Any]]]:
    """`send(item)` each item concurrently, then `write(book, [(item, answer), ...])` in batches
    (it returns one outcome per pair).

    Returns (item, outcome) pairs; an item whose call failed (Stripe unreachable after
    the retries) has outcome PENDING and is sent again by the next run.
    """
    answers: queue.SimpleQueue = queue.SimpleQueue()

    def work(item: T) -> None:
        try:
            answer = send(item)
        except Exception:
            log.exception("stripe %s %s failed; it stays pending", what, getattr(item, "id", "?"))
            answers.put((item, None))
            return
        if after_call is not None:
            after_call(what, item.id)  # type: ignore[attr-defined]  (tests crash here)
        answers.put((item, answer))

    outcomes: list[tuple[T, tuple[str, Any]]] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"stripe-{what}") as pool:
        futures = [pool.submit(work, item) for item in items]
        remaining = len(items)
        while remaining:
            try:
                batch = [answers.get(timeout=0.05)]
            except queue.Empty:
                for future in futures:  # a worker that died (a crash) ends the run like a crash
                    if future.done() and future.exception() is not None:
                        raise future.exception()  # type: ignore[misc]
                continue
            while len(batch) < BATCH:
                try:
                    batch.append(answers.get_nowait())
                except queue.Empty:
                    break
            remaining -= len(batch)
            outcomes += _write(ledger, batch, write)
    return outcomes


def _write(ledger: Ledger, batch: list, write: Callable) -> list:
    ready = [(item, answer) for item, answer in batch if answer is not None]
    outcomes = [(item, PENDING) for item, answer in batch if answer is None]
    if not ready:
        return outcomes
    try:
        written = ledger.run(lambda book: write(book, ready)).value
        return outcomes + [(item, outcome) for (item, _), outcome in zip(ready, written)]
    except Exception:
        log.exception("writing %d Stripe answers at once failed; writing them one by one", len(ready))
    for item, answer in ready:
        try:
            outcomes.append((item, ledger.run(lambda book: write(book, [(item, answer)])[0]).value))
        except Exception:
            log.exception("writing the Stripe answer for %s failed; it stays pending", getattr(item, "id", "?"))
            outcomes.append((item, PENDING))
    return outcomes
