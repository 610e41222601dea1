"""The edge agent process: HTTP API over the edge runtime the composition root builds."""

from edgedeploy.entrypoints.agent.serve import (
    agent_settings,
    agent_url,
    serve_agent,
    tls_options,
)

__all__ = ["agent_settings", "agent_url", "serve_agent", "tls_options"]
