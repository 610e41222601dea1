"""Model registry use cases."""

from application.models.registration import RegisterModel

__all__ = ["RegisterModel"]
