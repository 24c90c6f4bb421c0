"""A small in-memory GitHub that answers in GitHub's own shapes, for Conduct Desk's demo and tests."""

from .app import create_app
from .model import Fault
from .state import SandboxError, SandboxState
from .webhooks import Delivery

__all__ = ["Delivery", "Fault", "SandboxError", "SandboxState", "create_app"]
