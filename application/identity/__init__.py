"""Identity use cases: principals, API tokens and who the caller is."""

from edgedeploy.application.identity.principals import (
    ManagePrincipals,
    ResolveLocalPrincipal,
    UnitOf,
)
from edgedeploy.application.identity.tokens import (
    AuthenticateToken,
    IssuedToken,
    IssueToken,
    ListTokens,
    RevokeToken,
    token_id_of,
)

__all__ = ["AuthenticateToken", "IssueToken", "IssuedToken", "ListTokens", "ManagePrincipals",
           "ResolveLocalPrincipal", "RevokeToken", "UnitOf", "token_id_of"]
