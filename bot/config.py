"""Configuration: environment variables (the platforms' usual names) or a TOML file.

Precedence: explicit arguments, then environment, then the TOML file named by
`TIPBOT_CONFIG`, then defaults. Secrets are SecretStr so they never print. Funding
adapters read their own settings the same way (adapters/stripe/config.py).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class FileSettings(BaseSettings):
    """Environment first, then the TOML file named by TIPBOT_CONFIG (adapters' settings share it)."""

    model_config = SettingsConfigDict(env_prefix="TIPBOT_", extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple:
        sources: list[Any] = [init_settings, env_settings]
        path = os.environ.get("TIPBOT_CONFIG")
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @staticmethod
    def secret(value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()


class Settings(FileSettings):
    """The core's and the chat platforms' settings (funding adapters keep their own)."""

    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the user data dir")
    currency: str = Field("USD", description="currency of communities created from now on")
    admins: list[str] = Field(default_factory=list,
                              description='extra admins as "platform:user_id", e.g. "slack:U123"')
    public_url: str = Field("http://localhost:8000", description="base URL people reach the web app at")
    web_page_cache_seconds: float = Field(
        15.0, ge=0, description="a community's web page is rebuilt at most this often (0: on every request)")
    host: str = "127.0.0.1"
    port: int = 8000
    confirm_weekly_over_minor: int = Field(2500, description="weekly tips above this ask for confirmation")
    scheduler: bool = Field(True, description="run the payday scheduler in `tipbot run`")
    payday_concurrency: int = Field(
        4, ge=1, description="paydays this process runs and announces at once (PostgreSQL; SQLite: one)")
    scheduler_poll_seconds: float = Field(60.0, gt=0, description="the scheduler looks for due paydays this often")
    scheduler_retry_seconds: float = Field(
        5.0, gt=0, description="how soon to look again when another process held a due payday (it may die)")
    operations_retention_days: int = Field(
        7, ge=3, description="keep idempotency records this many days (at least Stripe's 3 days of retries)")

    # The HTTP edge (bot/web.py, bot/cli_run.py): refuse junk before it costs memory or a connection.
    # Adapters declare their own routes' limits (Platform.body_limits, bot/compose.py).
    max_body_bytes: int = Field(64 * 1024, gt=0, description="largest request body on routes without their own limit")
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="a request line and headers must arrive within this of its first byte "
                                "(or of the connection opening)")
    http_body_timeout_seconds: float = Field(10.0, gt=0, description="a request body must arrive whole within this")
    http_keep_alive_seconds: float = Field(5.0, gt=0, description="an idle keep-alive connection is closed after this")
    http_max_header_bytes: int = Field(32 * 1024, gt=0, description="largest request line plus headers")
    http_max_connections: int | None = Field(
        10000, gt=0, description="open connections (or requests) beyond this are answered 503 (uvicorn's "
                                 "limit_concurrency)")
    slack_command_queue: int = Field(
        200, gt=0, description="Slack commands taken but not yet through the ledger; past it a command is "
                               "answered \"busy, try again\" and nothing is recorded")

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN", "slack_bot_token"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET", "slack_signing_secret"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN", "slack_app_token"))
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID", "slack_client_id"))
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_CLIENT_SECRET", "slack_client_secret"))
    slack_api_url: str | None = Field(None, validation_alias=_env("TIPBOT_SLACK_API_URL", "slack_api_url"))

    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN", "discord_token"))
    discord_api_url: str | None = Field(None, validation_alias=_env("TIPBOT_DISCORD_API_URL", "discord_api_url"))
    discord_gateway_url: str | None = Field(
        None, validation_alias=_env("TIPBOT_DISCORD_GATEWAY_URL", "discord_gateway_url"),
        description="the gateway websocket; default: asked of the API (GET /gateway/bot) when "
                    "TIPBOT_DISCORD_API_URL is set, else Discord's")
    discord_guild_ids: list[int] = Field(default_factory=list,
                                         description="sync commands to these guilds only (development)")
    discord_shard_count: int | None = None
    discord_shard_ids: list[int] = Field(default_factory=list)

    # Signing in to the web (bot/webme, README "Signing in"): Slack's OpenID Connect and
    # Discord's OAuth2 `identify`. A provider is on when its client id and secret are set;
    # then `session_secret` is required (it signs the session cookie). Base URLs are settings
    # so tests point them at mock servers on 127.0.0.1.
    session_secret: SecretStr | None = Field(
        None, description="signs the web session cookie; required when sign-in is on; never in the repo")
    session_max_age_seconds: int = Field(14 * 24 * 3600, gt=0, description="a web session lasts this long")
    slack_signin_client_id: str | None = Field(
        None, description="Sign in with Slack: the Slack app's client id (often SLACK_CLIENT_ID)")
    slack_signin_client_secret: SecretStr | None = Field(None, description="Sign in with Slack: client secret")
    slack_signin_redirect_url: str | None = Field(
        None, description="default: PUBLIC_URL + /me/signin/slack/callback (add it to the Slack app)")
    slack_openid_url: str = Field("https://slack.com", description="where Slack's OpenID endpoints live")
    discord_signin_client_id: str | None = Field(None, description="Sign in with Discord: the application's id")
    discord_signin_client_secret: SecretStr | None = Field(None, description="Sign in with Discord: client secret")
    discord_signin_redirect_url: str | None = Field(
        None, description="default: PUBLIC_URL + /me/signin/discord/callback (add it to the application)")
    discord_oauth_url: str = Field("https://discord.com", description="where Discord's OAuth2 endpoints live")

    def community_page_url(self, community_name: str) -> str:
        """Where a community's public page is (bot/webpages), whether or not it is public now."""
        return f"{self.public_url.rstrip('/')}/c/{quote(community_name, safe='')}"

    @property
    def signin_configured(self) -> bool:
        """Members can sign in to the web (/me): Slack's or Discord's client id and secret are set
        (bot/webme/oauth.py makes a provider of each one that is)."""
        return bool(self.slack_signin_client_id and self.secret(self.slack_signin_client_secret)) or bool(
            self.discord_signin_client_id and self.secret(self.discord_signin_client_secret))
