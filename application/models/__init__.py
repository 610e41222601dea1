"""Model registry use cases."""

from edgedeploy.application.models.registration import RegisterModel

__all__ = ["RegisterModel"]
