"""Prometheus metrics of one process, served at `/metrics` (prometheus-client, `web` extra).

Built by the composition root on a registry of its own (`Runtime.metrics`), never on
prometheus-client's global one, so two runtimes in one process (tests) never share
counters. Labels are closed sets chosen by the code (platform names, command class
names, refusal codes, payday stages, Stripe methods): never a user's text, a name, an
id or a secret. Without prometheus-client installed every metric is a no-op.
"""

from __future__ import annotations

from typing import Any

LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PAYDAY_BUCKETS_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class _Noop:
    """Stands for any metric when prometheus-client is not installed."""

    def labels(self, *args: Any, **kwargs: Any) -> _Noop:
        return self

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class Metrics:
    def __init__(self) -> None:
        try:
            import prometheus_client as prom
        except ImportError:
            self.registry = None
            self._none()
            return
        self.registry = prom.CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = prom.Counter("tipbot_commands", "Commands handled, by platform, command and outcome "
                                     "(ok, a refusal code, or error)", ["platform", "command", "outcome"], registry=r)
        self.command_seconds = prom.Histogram("tipbot_command_seconds", "Time to handle a command",
                                              ["platform"], buckets=LATENCY_BUCKETS_SECONDS, registry=r)
        self.paydays = prom.Counter("tipbot_paydays", "Payday runs by how they ended (ran, resumed, already_ran, "
                                    "running_elsewhere, failed)", ["status"], registry=r)
        self.payday_stages = prom.Counter("tipbot_payday_stages", "Payday stages this process committed",
                                          ["stage"], registry=r)
        self.payday_seconds = prom.Histogram("tipbot_payday_seconds", "Time per community: the payday itself, "
                                             "and announcing it", ["step"], buckets=PAYDAY_BUCKETS_SECONDS,
                                             registry=r)
        self.payday_tips = prom.Counter("tipbot_payday_tips", "Tips in paydays this process ran, paid or unfunded",
                                        ["outcome"], registry=r)
        self.summaries = prom.Counter("tipbot_payday_summaries", "Summaries posted to spaces, by outcome",
                                      ["platform", "outcome"], registry=r)
        self.stripe_calls = prom.Counter("tipbot_stripe_calls", "Calls to Stripe's API by method and outcome",
                                         ["method", "outcome"], registry=r)
        self.webhooks = prom.Counter("tipbot_webhooks", "Webhook deliveries by source and outcome",
                                     ["source", "outcome"], registry=r)
        self.queue_depth = prom.Gauge("tipbot_queue_depth", "Work taken and not yet done, by queue",
                                      ["queue"], registry=r)

    def _none(self) -> None:
        for name in ("commands", "command_seconds", "paydays", "payday_stages", "payday_seconds", "payday_tips",
                     "summaries", "stripe_calls", "webhooks", "queue_depth"):
            setattr(self, name, _Noop())

    def exposition(self) -> tuple[bytes, str]:
        """The text format Prometheus scrapes, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
