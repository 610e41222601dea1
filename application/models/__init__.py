"""Model registry use cases."""

from edgedeploy.application.models.builders import (
    MODEL_BUILDERS_GROUP,
    ModelBuilderNotAllowed,
    ModelBuilders,
)
from edgedeploy.application.models.file_format import model_format
from edgedeploy.application.models.queries import ModelQueries
from edgedeploy.application.models.registration import RegisterModel

__all__ = [
    "MODEL_BUILDERS_GROUP",
    "ModelBuilderNotAllowed",
    "ModelBuilders",
    "ModelQueries",
    "RegisterModel",
    "model_format",
]
