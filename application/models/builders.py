"""Model builders a remote caller may name: an allow-list, never an arbitrary import.

A bare state dict needs code that builds its architecture. Over HTTP that code may only be a
builder installed under the entry-point group ``edgedeploy.model_builders`` or one the operator
listed in the settings; naming any other ``module:attr`` would let a request import and call
whatever the server can reach. The local CLI keeps ``--module`` for the user's own code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edgedeploy.application.errors import InvalidInput

MODEL_BUILDERS_GROUP = "edgedeploy.model_builders"


class ModelBuilderNotAllowed(InvalidInput):
    """A request named a model builder outside the allow-list: HTTP 422, exit 2.

    Attributes:
        name: the refused name.
        allowed: every name that would have been accepted, sorted.
    """

    code = "MODEL_BUILDER_NOT_ALLOWED"

    def __init__(self, name: str, allowed: Sequence[str]) -> None:
        self.name, self.allowed = name, tuple(allowed)
        choices = ", ".join(self.allowed) if self.allowed else "none are configured"
        super().__init__(f"model builder '{name}' is not allowed here; allowed builders: "
                         f"{choices}")


class ModelBuilders:
    """Resolves a builder name to the ``module:attr`` the model loader may import.

    Nothing is imported here: the answer is a string taken from the installed entry points or
    the configured list, so a refused name never reaches ``importlib``.
    """

    def __init__(self, installed: Mapping[str, str], configured: Sequence[str] = ()) -> None:
        """``installed`` maps entry-point names to their values; ``configured`` lists specs."""
        self._by_name: dict[str, str] = dict(installed)
        for spec in configured:
            self._by_name.setdefault(spec, spec)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a request may use, sorted."""
        return tuple(sorted(self._by_name))

    def resolve(self, name: str) -> str:
        """The ``module:attr`` behind ``name``.

        Raises:
            ModelBuilderNotAllowed: ``name`` is neither an installed builder nor configured.
        """
        spec = self._by_name.get(name)
        if spec is None:
            raise ModelBuilderNotAllowed(name, self.names)
        return spec
