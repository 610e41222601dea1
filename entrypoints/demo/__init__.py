"""The end-to-end release flow on the bundled example."""

from edgedeploy.entrypoints.demo.run import run_demo, summary_table

__all__ = ["run_demo", "summary_table"]
