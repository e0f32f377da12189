# Tipbot's container image. Multi-stage: wheels are built in `build`, the runtime
# stage installs only them on a slim Python base and runs as a non-root user.
#   docker build -t tipbot .
#   docker run --rm -e TIPBOT_DATABASE_URL=postgresql://... tipbot db upgrade
#   docker run --rm -p 8000:8000 -e TIPBOT_DATABASE_URL=... -e SLACK_BOT_TOKEN=... tipbot
FROM python:3.12-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY ledger ./ledger
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels ".[all]"

FROM python:3.12-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TIPBOT_HOST=0.0.0.0 TIPBOT_PORT=8000 TIPBOT_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 tipbot
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --no-index --find-links=/wheels "tipbot[all]" && rm -rf /wheels
USER tipbot
WORKDIR /home/tipbot
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
ENTRYPOINT ["tipbot"]
CMD ["run"]
