"""The app's OpenAPI document: what FastAPI writes from the routes, plus what the routes refer to
and cannot declare themselves (the problem's schema, the bodies of other media types than JSON,
the bearer token every operation asks for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from deconflict.api.problems import COMPONENTS, Problem
from deconflict.api.schemas import DOCUMENTED

BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A party's token (`dcf_...`): duty reads and answers, planner also declares, "
    "admin also manages keys and tokens. The console sends its session's cookie instead.",
}


def install(app: FastAPI) -> None:
    """Serve `app`'s document with the problem's schema and the bearer scheme in it."""
    app.openapi = _documented(app)  # type: ignore[method-assign]  # FastAPI's hook for this


def _documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            components = document.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            models: tuple[type[BaseModel], ...] = (Problem, *DOCUMENTED)
            for model in models:
                shape = model.model_json_schema(ref_template=COMPONENTS + "{model}")
                schemas.update(shape.pop("$defs", {}))
                schemas[model.__name__] = shape
            components["securitySchemes"] = {"bearer": BEARER}
            document["security"] = [{"bearer": []}]  # every documented operation asks for it
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
