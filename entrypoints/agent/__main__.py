"""The edge agent as a module: ``python -m edgedeploy.entrypoints.agent --device-id ID``.

Further options: ``--port P [--home DIR] [--backend NAME] [--repository DIR]``; limits come
from settings (the ``agent`` section, e.g. ``EDGEDEPLOY_AGENT_PROBATION_INFERENCES``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgedeploy.entrypoints.agent.serve import serve_agent


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="edgedeploy-agent", description=__doc__)
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--home", type=Path, default=None,
                        help="agent state directory (default .edgedeploy/agents/DEVICE_ID)")
    parser.add_argument("--backend", default=None,
                        help="inference backend plugin (default: settings, else the first "
                             "usable one that runs INT8 ONNX on CPU)")
    parser.add_argument("--repository", type=Path, default=None,
                        help="model package repository (default HOME/repository)")
    args = parser.parse_args(argv)
    serve_agent(args.device_id, args.port, args.home, args.backend, repository=args.repository)


if __name__ == "__main__":
    main()
