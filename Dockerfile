# digestbot: runs `digestbot run` as a non-root user with its data in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 digestbot \
    && mkdir /data && chown digestbot:digestbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .

USER digestbot
VOLUME ["/data"]
WORKDIR /data

# Mount a config at /data/config.toml (or pass settings through the environment:
# TELEGRAM_BOT_TOKEN, OPENAI_API_KEY).
CMD ["digestbot", "run", "--config", "/data/config.toml", "--data-dir", "/data"]

# `digestbot status` opens the state and the archive and reports feeds, polls and the outbox.
# It exits 1 (unhealthy) when polling has stalled or the outbox is stuck.
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s \
    CMD ["digestbot", "status", "--config", "/data/config.toml", "--data-dir", "/data"]
