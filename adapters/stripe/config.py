"""Stripe's settings: the same environment variables (and TOML keys) as always,
read by the adapter itself so the core's settings know nothing of Stripe."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from adapters.stripe.client import StripeConfig
from bot.config import FileSettings


class StripeSettings(FileSettings):
    stripe_secret_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("STRIPE_SECRET_KEY", "stripe_secret_key"))
    stripe_webhook_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "stripe_webhook_secret"))
    stripe_api_url: str | None = Field(
        None, validation_alias=AliasChoices("TIPBOT_STRIPE_API_URL", "stripe_api_url"))
    stripe_concurrency: int = 16
    stripe_fee_percent_bp: int = Field(290, description="card fee rate in basis points (2.9% = 290)")
    stripe_fee_fixed_minor: int = Field(30, description="card fee fixed part in minor units")
    stripe_fees_paid_by: str = Field("tipper", description='"tipper" (on top) or "recipients" (pro rata)')
    stripe_max_body_bytes: int = Field(512 * 1024, gt=0, description="largest request body to /stripe/webhook")

    def config(self, public_url: str) -> StripeConfig | None:
        """The plain values the Stripe modules take, or None when no secret key is set."""
        key = self.secret(self.stripe_secret_key)
        if not key:
            return None
        return StripeConfig(
            secret_key=key, api_url=self.stripe_api_url, webhook_secret=self.secret(self.stripe_webhook_secret),
            public_url=public_url, concurrency=self.stripe_concurrency,
            fee_percent_bp=self.stripe_fee_percent_bp, fee_fixed_minor=self.stripe_fee_fixed_minor,
            fees_paid_by=self.stripe_fees_paid_by,
        )
