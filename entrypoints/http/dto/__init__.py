"""msgspec DTOs of the HTTP API, one module per capability.

``…Create`` structs are request bodies, ``…View`` structs are response bodies; enumerations
are the domain's own, so the OpenAPI document lists every value a field can take.
"""

from edgedeploy.entrypoints.http.dto.common import (
    GapView,
    Id,
    ProbeView,
    ProblemView,
    ValidationErrorView,
    view,
)

__all__ = ["GapView", "Id", "ProbeView", "ProblemView", "ValidationErrorView", "view"]
