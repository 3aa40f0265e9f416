"""What every FastAPI application of ours is given (the site and its API).

FastAPI's OpenTelemetry hooks look at the environment on every request to learn they are
not configured (a sixth of the event loop's time at the 9:00 burst, py-spy); we have no
OpenTelemetry, so they are off."""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig

NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
