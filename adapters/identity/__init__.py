"""Identity adapters: verification of credentials issued outside edgedeploy."""

from edgedeploy.adapters.identity.oidc import OidcClaims, PyJwtOidcVerifier, role_map

__all__ = ["OidcClaims", "PyJwtOidcVerifier", "role_map"]
