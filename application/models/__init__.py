"""Model registry use cases."""

from edgedeploy.application.models.queries import ModelQueries
from edgedeploy.application.models.registration import RegisterModel

__all__ = ["ModelQueries", "RegisterModel"]
