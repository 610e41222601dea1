"""The edge agent as a module: ``python -m edgedeploy.entrypoints.agent --device-id ID``.

Further options: ``--port P [--bind ADDRESS] [--token-file FILE] [--home DIR] [--backend NAME]
[--repository DIR]``; limits come
from settings (the ``agent`` section, e.g. ``EDGEDEPLOY_AGENT_PROBATION_INFERENCES``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgedeploy.entrypoints.agent.serve import agent_settings, serve_agent
from edgedeploy.entrypoints.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="edgedeploy-agent", description=__doc__)
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default=None,
                        help="address to listen on (default: settings, else 127.0.0.1)")
    parser.add_argument("--token-file", type=Path, default=None,
                        help="file holding the fleet secret (mode 0600; default: settings, "
                             "else HOME/controller.token, created when absent)")
    parser.add_argument("--home", type=Path, default=None,
                        help="agent state directory (default .edgedeploy/agents/DEVICE_ID)")
    parser.add_argument("--backend", default=None,
                        help="inference backend plugin (default: settings, else the first "
                             "usable one that runs INT8 ONNX on CPU)")
    parser.add_argument("--repository", type=Path, default=None,
                        help="model package repository (default HOME/repository)")
    args = parser.parse_args(argv)
    settings = agent_settings(load_settings(), args.device_id, args.port, home=args.home,
                              backend=args.backend, repository=args.repository,
                              bind=args.bind, token_file=args.token_file)
    serve_agent(args.device_id, args.port, settings=settings)


if __name__ == "__main__":
    main()
