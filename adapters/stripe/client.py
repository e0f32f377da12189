"""The Stripe client, and the one retry policy every Stripe call goes through.

`StripeConfig` carries plain values (adapters/stripe/config.py builds it from the
settings). Every call carries an idempotency key derived from a local row;
on a 429, a network error or a 5xx the same call is sent again with the same key
after an exponential backoff, so Stripe can never act on it twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import stripe

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    api_url: str | None = None  # another base URL (tests, proxies); None: Stripe's
    webhook_secret: str | None = None
    public_url: str = "http://localhost:8000"  # where Checkout and Connect send people back
    concurrency: int = 16
    fee_percent_bp: int = 290  # card fee rate, basis points
    fee_fixed_minor: int = 30  # card fee fixed part, minor units
    fees_paid_by: str = "tipper"  # default for communities without their own choice
    max_attempts: int = 6
    backoff_base_ms: int = 250
    timeout_ms: int = 30_000

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("stripe concurrency is at least 1")
        if not 0 <= self.fee_percent_bp < 10_000 or self.fee_fixed_minor < 0:
            raise ValueError("card fees: 0 <= rate < 10000 basis points, fixed part >= 0")
        if self.fees_paid_by not in ("tipper", "recipients"):
            raise ValueError('fees are paid by "tipper" or "recipients"')


def make_client(config: StripeConfig) -> stripe.StripeClient:
    """A StripeClient; retries are ours (`call`), so the library's own are off."""
    base = {"api": config.api_url, "connect": config.api_url} if config.api_url else None
    return stripe.StripeClient(
        config.secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=config.timeout_ms / 1000),
    )


def retryable(error: Exception) -> bool:
    """429s, network failures and Stripe's 5xx are worth the same call again."""
    if isinstance(error, (stripe.RateLimitError, stripe.APIConnectionError)):
        return True
    if isinstance(error, stripe.StripeError) and not isinstance(error, stripe.CardError):
        status = error.http_status or 0
        return status == 429 or status >= 500 or error.code == "lock_timeout"
    return False


def call(fn: Callable[[], T], *, config: StripeConfig, what: str,
         sleep: Callable[[float], None] = time.sleep) -> T:
    """Run one Stripe call, again (same idempotency key) after retryable failures."""
    for attempt in range(1, config.max_attempts + 1):
        try:
            return fn()
        except Exception as error:
            if not retryable(error) or attempt == config.max_attempts:
                raise
            delay = config.backoff_base_ms / 1000 * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
            log.info("stripe %s: %s; again in %.2fs (attempt %d)", what, type(error).__name__, delay, attempt)
            sleep(delay)
    raise AssertionError("unreachable")
