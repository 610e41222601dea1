"""The edge agent process: HTTP API over the edge runtime."""

from edgedeploy.entrypoints.agent.serve import build_runtime, load_backend, serve_agent

__all__ = ["build_runtime", "load_backend", "serve_agent"]
