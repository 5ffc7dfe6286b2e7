"""Which function handles which command: ``@handles(CancelJob)`` registers it where it is defined.

    @handles(CancelJob)
    def cancel_job(command: CancelJob, request: Request) -> Reply: ...

mypy checks that the function takes the class it names. Every ``JobCommand`` shares
``commands.job_commands.queue_job``. A command handled twice is a TypeError at import; a command
with no handler fails ``tests/unit/test_commands_catalog.py``.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from commands.api import Reply
from commands.command import Command
from commands.request import Request

C = TypeVar("C", bound=Command)
# A handler takes exactly the command class it is registered under; a dict cannot say that per key.
Handler = Callable[[Any, Request], Reply]

HANDLERS: dict[type[Command], Handler] = {}


def handles(kind: type[C]) -> Callable[[Callable[[C, Request], Reply]], Callable[[C, Request], Reply]]:
    """Register the decorated function as the handler of ``kind``."""
    def register(handler: Callable[[C, Request], Reply]) -> Callable[[C, Request], Reply]:
        if kind in HANDLERS:
            raise TypeError(f"{kind.__name__} has two handlers; keep one")
        HANDLERS[kind] = handler
        return handler
    return register
