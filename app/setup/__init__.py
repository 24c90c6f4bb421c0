"""`conduct setup`: what a real org needs for Conduct Desk, checked, and created where the API allows."""

from .plan import Options, Plan, build_plan
from .report import Finding, Status, exit_code, render
from .run import run_setup, setup_command

__all__ = [
    "Finding",
    "Options",
    "Plan",
    "Status",
    "build_plan",
    "exit_code",
    "render",
    "run_setup",
    "setup_command",
]
