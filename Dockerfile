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

# A token alone is enough: `docker run -e TELEGRAM_BOT_TOKEN=… digestbot` (or DISCORD_BOT_TOKEN;
# OPENAI_API_KEY for LLM summaries). A config is optional: digestbot reads ./config.toml, which
# is /data/config.toml here, when there is one (mount it, e.g. -v ./config.toml:/data/config.toml:ro),
# and built-in defaults otherwise, with the built-in list of feeds when it lists none.
CMD ["digestbot", "run", "--data-dir", "/data"]

# `digestbot status` reads the state and the archive: it exits 1 (unhealthy) when polling has
# stalled, the outbox is stuck, every enabled feed is failing or the last delivery failed.
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s \
    CMD ["digestbot", "status", "--data-dir", "/data"]
