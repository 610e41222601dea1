"""The edge agent process: HTTP API over the edge runtime the composition root builds."""

from edgedeploy.entrypoints.agent.serve import agent_settings, serve_agent

__all__ = ["agent_settings", "serve_agent"]
