"""Each app validates requests against its own settings' limits, not the process's.

The contract's models read their limits (question length, k, history turns, comment length) from
:func:`minutes_qa.contract.limits_in_force`. FastAPI validates request bodies itself and cannot
pass pydantic a validation context, so this middleware puts the app's limits in force around
every request it handles, body validation and route included.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from minutes_qa.contract import RequestLimits, request_limits


class RequestLimitsMiddleware:
    """Validate every request under ``limits`` (a plain ASGI middleware: no extra task per request)."""

    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with request_limits(self.limits):
            await self.app(scope, receive, send)
