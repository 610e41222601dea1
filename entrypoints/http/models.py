"""The model registry over HTTP: register a model file, list and look up versions."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.models import ModelQueries, RegisterModel
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.http.auth import guarded
from edgedeploy.entrypoints.http.dto import view
from edgedeploy.entrypoints.http.dto.common import ModelVersionPath
from edgedeploy.entrypoints.http.dto.models import ModelListView, ModelVersionView
from edgedeploy.entrypoints.http.media_types import MODEL_FILES, accepts, raw_body_operation
from edgedeploy.entrypoints.http.problems import problem_responses

BAD_VERSION = "The model version is not of the form ``name@version``."


class ModelsController(Controller):
    """Model versions, fixed by the SHA-256 of their bytes."""

    path = "/api/v1/models"
    tags = ["models"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/{ver:str}", status_code=201, summary="Register a model version",
          **guarded(Permission.REGISTER_MODEL, **accepts(MODEL_FILES)),
          operation_class=raw_body_operation(MODEL_FILES, "The model file (e.g. ONNX)."),
          responses=problem_responses(
              400, 409, 413, 415, 422, s409="The version is registered with other bytes.",
              s422=BAD_VERSION))
    async def register(
        self, ver: ModelVersionPath, request: Request[object, object, State],
        register_model: NamedDependency[RegisterModel],
        principal: NamedDependency[Principal],
        filename: Annotated[str, QueryParameter(max_length=255, description="The file's name, "
                                                "kept with the registration.")] = "",
    ) -> Response[ModelVersionView]:
        """Register the request body as model ``name@version``.

        The same bytes again are a no-op (the existing registration is returned); other bytes
        under a registered version are refused, so a version always names one digest.
        """
        ref = ModelRef.parse(ver)
        body = await request.body()
        if not body:
            raise InvalidInput(f"{ref}: the request body (the model file) is empty")
        model = await anyio.to_thread.run_sync(
            lambda: register_model(ref, body, principal.name, filename))
        url = f"{self.path}/{model.ref}"
        return Response(view(model, ModelVersionView, ref=str(model.ref)), status_code=201,
                        headers={"Location": url})

    @get("/", sync_to_thread=True, summary="List model versions", **guarded(Permission.READ),
         responses=problem_responses(400))
    def list_models(self, model_queries: NamedDependency[ModelQueries],
                    name: FromQuery[str | None] = None) -> ModelListView:
        """Every registered version (of model ``name`` when given), oldest first."""
        found = model_queries.list(name)
        return ModelListView(models=[view(m, ModelVersionView, ref=str(m.ref)) for m in found],
                             count=len(found))

    @get("/{ver:str}", sync_to_thread=True, summary="Look up a model version",
         **guarded(Permission.READ),
         responses=problem_responses(400, 404, 422, s404="The version is not registered.",
                                     s422=BAD_VERSION))
    def get_model(
        self,
        ver: ModelVersionPath,
        model_queries: NamedDependency[ModelQueries],
    ) -> ModelVersionView:
        """One registered version: its digest, size and who registered it when."""
        model = model_queries.get(ModelRef.parse(ver))
        return view(model, ModelVersionView, ref=str(model.ref))
