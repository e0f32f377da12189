"""The container files: no Docker engine runs where the tests run, so this checks what
can be checked without one: compose.yaml parses and wires PostgreSQL, a one-shot
migration and `tipbot run`; the Dockerfile is multi-stage on a slim base and runs as a
non-root user."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_postgres_a_one_shot_migration_then_tipbot():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    migrate, tipbot = services["migrate"], services["tipbot"]
    assert migrate["command"] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert tipbot["command"] == ["run"]
    assert tipbot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for service in (migrate, tipbot):
        assert service["environment"]["TIPBOT_DATABASE_URL"].startswith("postgresql://")
    text = (ROOT / "compose.yaml").read_text()
    assert not re.search(r"(xoxb-|sk_live_|sk_test_|whsec_)", text)  # secrets come from the environment


def test_dockerfile_is_multi_stage_slim_and_not_root():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    stages = [line.split() for line in lines if line.upper().startswith("FROM ")]
    assert len(stages) >= 2
    assert all("slim" in stage[1] for stage in stages)
    runtime_start = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    runtime = lines[runtime_start:]
    assert any(line.startswith("COPY --from=") for line in runtime)
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["tipbot"]' in runtime and 'CMD ["run"]' in runtime
