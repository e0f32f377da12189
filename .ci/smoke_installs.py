"""CI: each install of Tipbot starts its part, in a fresh virtual environment.

The wheel is built once, next to a wheelhouse of every dependency (kept between runs
in ~/.cache/tipbot-smoke, keyed by pyproject.toml); every environment is made without
pip and filled by this interpreter's pip from that wheelhouse only (`--no-index`,
`--no-compile`), with one set of extras:

- core (`pip install tipbot`): a console script line, `tipbot payday` and
  `tipbot ledger check` on a temp SQLite file; no web, Slack, Discord or Stripe package;
- `[slack]`: `tipbot run` with Slack settings against a mock Slack Web API on
  127.0.0.1 answers 401 to an unsigned POST /slack/events and 200 to a signed
  url_verification; neither discord.py nor stripe is installed;
- `[discord]`: the root builds the Discord platform and its client, `tipbot discord --help`;
- `[stripe]`: the root builds the Stripe funding adapter, `tipbot stripe --help`.

Exit status 1 (after saying which check failed) if any install can't start its part.
Usage: python3 .ci/smoke_installs.py [--keep]
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "smoke-signing-secret"
OPTIONAL = ("starlette", "uvicorn", "slack_bolt", "discord", "stripe")


class Failed(Exception):
    pass


def run(*args: str | Path, env: dict[str, str] | None = None, input: str | None = None,
        expect: int = 0) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, input=input, timeout=300,
                          env={**os.environ, **(env or {})})
    if done.returncode != expect:
        raise Failed(f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wheelhouse() -> Path:
    """Wheels of every dependency of every extra, built once per pyproject.toml."""
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    house = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tipbot-smoke" / key
    if not (house / "complete").exists():
        run(sys.executable, "-m", "pip", "wheel", "-q", "-w", house, f"{ROOT}[all]")
        for built in house.glob("tipbot-*.whl"):
            built.unlink()  # the project itself is built fresh on every run
        (house / "complete").touch()
    return house


def venv(work: Path, house: Path, wheel: Path, extra: str) -> Path:
    """A fresh virtual environment with the wheel and `extra` installed; its bin directory."""
    where = work / (extra or "core")
    run(sys.executable, "-m", "venv", "--without-pip", where)
    target = f"{wheel}[{extra}]" if extra else str(wheel)
    run(sys.executable, "-m", "pip", "--python", where / "bin" / "python", "install", "-q", "--no-compile",
        "--no-index", "--find-links", house, target)
    return where / "bin"


def importable(bin_dir: Path) -> set[str]:
    code = ("import importlib.util, json; "
            f"print(json.dumps([m for m in {list(OPTIONAL)!r} if importlib.util.find_spec(m)]))")
    return set(json.loads(run(bin_dir / "python", "-c", code)))


def expect_only(bin_dir: Path, wanted: set[str]) -> None:
    found = importable(bin_dir)
    if not wanted <= found or found - wanted - {"starlette", "uvicorn"} or (not wanted and found):
        raise Failed(f"{bin_dir.parent.name}: optional packages installed: {sorted(found)}, expected {sorted(wanted)}")


def check_core(bin_dir: Path, work: Path) -> None:
    expect_only(bin_dir, set())
    env = {"TIPBOT_DATABASE_URL": f"sqlite:///{work / 'core.sqlite3'}", "TIPBOT_CONFIG": ""}
    out = run(bin_dir / "tipbot", "console", "--admin", "treasurer", env=env,
              input="treasurer: /tip admin credit @alice 20\nalice: /tip @bob 1\n")
    if "You now tip bob $1.00 a week" not in out:
        raise Failed(f"core: the console did not set the tip:\n{out}")
    run(bin_dir / "tipbot", "payday", "--at", "2026-11-26T12:00Z", env=env)
    run(bin_dir / "tipbot", "ledger", "check", env=env)
    run(bin_dir / "tipbot", "stripe", "--help", env=env, expect=2)  # not installed: not offered


class MockSlack(http.server.BaseHTTPRequestHandler):
    """Slack's Web API, as far as starting Tipbot and answering url_verification needs."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = {"ok": True, "url": "https://smoke.slack.com/", "team": "smoke", "user": "tipbot",
                "team_id": "TSMOKE", "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}
        if not self.path.endswith("/auth.test"):
            body = {"ok": False, "error": "unknown_method"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_slack(bin_dir: Path, work: Path) -> None:
    expect_only(bin_dir, {"slack_bolt", "starlette", "uvicorn"})
    mock = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MockSlack)
    threading.Thread(target=mock.serve_forever, daemon=True).start()
    port = free_port()
    env = {"TIPBOT_DATABASE_URL": f"sqlite:///{work / 'slack.sqlite3'}", "TIPBOT_CONFIG": "",
           "SLACK_BOT_TOKEN": "xoxb-smoke", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "TIPBOT_SLACK_API_URL": f"http://127.0.0.1:{mock.server_address[1]}/api/"}
    server = subprocess.Popen([str(bin_dir / "tipbot"), "run", "--port", str(port), "--no-scheduler"],
                              env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise Failed(f"slack: tipbot run did not start:\n{server.communicate()[0] if server.poll() else ''}")
            time.sleep(0.2)
        body = json.dumps({"type": "url_verification", "token": "x", "challenge": "smoke-challenge"}).encode()
        status, _ = post(f"{base}/slack/events", body, {"content-type": "application/json"})
        if status != 401:
            raise Failed(f"slack: an unsigned POST /slack/events got {status}, not 401")
        stamp = str(int(time.time()))  # Slack's signature carries the current time; nothing else reads it
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body,
                                     hashlib.sha256).hexdigest()
        status, answer = post(f"{base}/slack/events", body, {
            "content-type": "application/json", "x-slack-request-timestamp": stamp, "x-slack-signature": signature})
        if status != 200 or b"smoke-challenge" not in answer:
            raise Failed(f"slack: a signed url_verification got {status}: {answer[:200]!r}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        mock.shutdown()


def check_discord(bin_dir: Path, work: Path) -> None:
    expect_only(bin_dir, {"discord"})
    env = {"TIPBOT_DATABASE_URL": f"sqlite:///{work / 'discord.sqlite3'}", "TIPBOT_CONFIG": ""}
    run(bin_dir / "python", "-c", (
        "from bot.compose import build_runtime; r = build_runtime(); "
        "assert set(r.platforms) == {'console', 'discord'}, r.platforms; "
        "r.platforms['discord'].client(r)"), env=env)
    if "invite-url" not in run(bin_dir / "tipbot", "discord", "--help", env=env):
        raise Failed("discord: `tipbot discord --help` does not offer invite-url")


def check_stripe(bin_dir: Path, work: Path) -> None:
    expect_only(bin_dir, {"stripe", "starlette", "uvicorn"})
    env = {"TIPBOT_DATABASE_URL": f"sqlite:///{work / 'stripe.sqlite3'}", "TIPBOT_CONFIG": "",
           "STRIPE_SECRET_KEY": "sk_test_smoke"}
    run(bin_dir / "python", "-c", (
        "from bot.compose import build_runtime; r = build_runtime(); "
        "assert set(r.funding) == {'stripe'} and r.funding['stripe'].configured(), r.funding"), env=env)
    if "reconcile" not in run(bin_dir / "tipbot", "stripe", "--help", env=env):
        raise Failed("stripe: `tipbot stripe --help` does not offer reconcile")


CHECKS = (("", check_core), ("slack", check_slack), ("discord", check_discord), ("stripe", check_stripe))


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tipbot-smoke-") as tmp:
        work = Path(tmp)
        house = wheelhouse()
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", ROOT)
        wheel = next((work / "dist").glob("tipbot-*.whl"))
        failures = []
        for extra, check in CHECKS:
            name = extra or "core"
            began = time.monotonic()
            try:
                check(venv(work, house, wheel, extra), work)
            except Failed as failure:
                failures.append(f"{name}: {failure}")
                print(f"install smoke: {name} FAILED", file=sys.stderr)
                continue
            print(f"install smoke: {name} ok ({time.monotonic() - began:.0f} s)", file=sys.stderr)
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"install smoke: {len(CHECKS) - len(failures)} of {len(CHECKS)} installs start their part "
          f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
