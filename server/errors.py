"""Error handling: every error body is ``{"detail": "<a sentence a person can act on>"}``.

FastAPI's own validation errors are a list of machine records; they are rewritten here into
one readable sentence. Unexpected exceptions are answered with a 500 that points at the server log (uvicorn logs
the traceback), never with the exception text: it may hold server paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from minutes_qa.contract import CONTRACT_ERRORS, ErrorResponse

# Shown in OpenAPI for the routes that can answer with these errors.
QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid parameter; the detail says which and why."},
}
DOCUMENT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown document."},
    **QUERY_ERRORS,
}

# Inputs longer than this are cut in messages: a 10,000-character question need not be echoed.
_MAX_SHOWN_INPUT = 60


class ApiError(Exception):
    """A request the service refuses, with the status and the reason to send back."""

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """One sentence for pydantic's error records, naming each bad field and what it got."""
    return "Invalid request: " + "; ".join(_describe(error) for error in errors) + "."


def _describe(error: dict[str, Any]) -> str:
    field = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header"))
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if kind == "missing":
        return f"{field or 'the request body'} is required"
    if not field and kind in ("model_attributes_type", "dict_type"):
        return "the body must be a JSON object sent with 'Content-Type: application/json'"
    message = error.get("msg", "invalid value")
    if kind in CONTRACT_ERRORS:
        # The contract's own sentences (question too long, k out of range...) name what they check.
        return message.rstrip(".")
    if kind.startswith(("date_", "datetime_")):
        message += "; write dates as YYYY-MM-DD"
    text = f"{field}: {message}" if field else message
    if kind != "extra_forbidden" and isinstance(error.get("input"), str | int | float):
        shown = str(error["input"])
        if len(shown) > _MAX_SHOWN_INPUT:
            shown = shown[:_MAX_SHOWN_INPUT] + "…"
        text += f" (got {shown!r})"
    return text


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer a readable ``{"detail": ...}``."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_errors(error.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers)

    # Starlette re-raises the exception after this response is sent and uvicorn logs it with
    # its traceback, so it is not logged here a second time.
    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "The server failed to handle this request; the server log has the details."},
            status_code=500,
        )
