"""What the health endpoint of ``digestbot run`` answers: ``/healthz`` and ``/metrics``, from a
fresh snapshot of the stores on each request."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.ops import health
from bot.ops.health_server import PROMETHEUS_TYPE, Handler, Response
from bot.ops.status import collect

if TYPE_CHECKING:
    from bot.app.container import Services
    from bot.app.jobs import Heartbeat


def health_handler(svc: Services, heartbeat: Heartbeat) -> Handler:
    """Answers ``/healthz`` and ``/metrics`` from a fresh snapshot of the stores."""
    config = svc.settings.health

    def handle(path: str) -> Response:
        if path not in ("/healthz", "/metrics"):
            return Response(404, "not found: try /healthz or /metrics\n")
        snapshot = collect(
            state=svc.state, archive=svc.archive, feeds=svc.state.feeds(), now=svc.now()
        )
        judged = health.verdict(
            snapshot,
            started_at=heartbeat.started_at,
            last_tick_at=heartbeat.last_poll_at,
            poll_interval=timedelta(minutes=svc.settings.schedule.poll_minutes),
            stall_factor=config.stall_factor,
            outbox_stuck=timedelta(minutes=config.outbox_stuck_minutes),
        )
        if path == "/metrics":
            text = health.metrics(snapshot, healthy=judged, last_tick_at=heartbeat.last_poll_at)
            return Response(200, text, PROMETHEUS_TYPE)
        if judged.ok:
            return Response(200, "ok\n")
        return Response(503, "".join(f"{reason}\n" for reason in judged.reasons))

    return handle
