"""The FastAPI application: ``create_app(settings, engine=None)``.

The engine (embedding model and index) is loaded once, when the app starts (its lifespan),
unless one is passed in already loaded, as ``serve`` does so that a missing or mismatched
index is reported before the port is opened.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from minutes_qa.contract import RequestLimits
from minutes_qa.rag.engine import Engine
from minutes_qa.settings import Settings, get_settings

from .errors import install_error_handlers
from .generation_check import GenerationCheck
from .limits import RequestLimitsMiddleware
from .logging import AccessLogMiddleware
from .routes import TextLengths, router
from .uploads import UploadService

log = logging.getLogger("minutes.server")

DESCRIPTION = """
Question answering over council meeting minutes, with exact citations.

* **POST /ask** answers a question from the minutes, every sentence cited; **GET /search** returns
  the best passages. Both return the same JSON as `minutes ask/search --json`, and every passage's
  source carries `view_url`, a page showing the passage highlighted in the full minutes.
* **GET /documents**, **/documents/{doc_id}**, **/facets** describe what is loaded.
* **POST /documents** ingests new minutes into the live index (administrator token required).

Errors are `{"detail": "..."}` with a sentence saying what to fix.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The service for ``settings`` (default: :func:`get_settings`), over ``engine`` if given."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = engine if engine is not None else await run_in_threadpool(Engine.open, settings.index.index_dir, settings)
        app.state.engine = loaded
        app.state.uploads = UploadService(loaded, settings)
        app.state.text_lengths = TextLengths()
        log.info("Serving the index at %s (generation %s)", settings.index.index_dir, loaded.reader.manifest.generation)
        yield

    app = FastAPIOffline(
        title="minutes-qa", version=version("minutes-qa"), description=DESCRIPTION, lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.generation_check = GenerationCheck()
    app.include_router(router)
    install_error_handlers(app)
    if settings.service.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.service.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(RequestLimitsMiddleware, limits=RequestLimits.of(settings))
    # Added last, so outermost: it times and logs every response, CORS preflights and errors included.
    app.add_middleware(AccessLogMiddleware)
    return app
