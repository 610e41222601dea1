"""The model builders installed under ``edgedeploy.model_builders``, read without loading them."""

from __future__ import annotations

from importlib.metadata import entry_points

from edgedeploy.application.models.builders import MODEL_BUILDERS_GROUP


def installed_model_builders() -> dict[str, str]:
    """Entry-point name to ``module:attr`` for every installed builder.

    Only the metadata is read: a builder's module is imported by the model loader, and only
    once a request has named it.
    """
    return {ep.name: ep.value for ep in entry_points(group=MODEL_BUILDERS_GROUP)}
