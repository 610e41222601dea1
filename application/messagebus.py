"""A small synchronous message bus: committed domain events go to the handlers registered.

The composition root subscribes handlers by event type; a use case, after its unit of work
committed, passes ``work.collect_events()`` to :meth:`MessageBus.handle`. Handlers run in the
caller's thread, in registration order, after the commit: the work they react to is durable
whatever they do. A failing handler is logged with the event and does not stop the other
handlers or the caller (a finished roll-out must still reach its devices when linking its
evidence fails); the handler can be run again for the same event, since events are values.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import structlog

from edgedeploy.domain.events import DomainEvent

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=DomainEvent)

Handler = Callable[[Any], None]
"""Called with one event of the type it was subscribed to (or a subclass of it)."""


class MessageBus:
    """Hands each event to every handler subscribed to its type or one of its base types."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = {}
        # One queue per thread: the roll-out ticker and request threads share the bus, and
        # each dispatches the events its own work committed.
        self._local = threading.local()

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler`` for every event of ``event_type`` handled from now on."""
        self._handlers.setdefault(event_type, []).append(handler)

    def handlers_for(self, event_type: type[DomainEvent]) -> list[Handler]:
        """The handlers an event of ``event_type`` reaches, most specific type first."""
        found: list[Handler] = []
        for cls in event_type.__mro__:
            if isinstance(cls, type) and issubclass(cls, DomainEvent):
                found.extend(self._handlers.get(cls, ()))
        return found

    def handle(self, events: Iterable[DomainEvent]) -> int:
        """Dispatch ``events`` in order; returns how many handler calls failed.

        Events handed in while a handler runs (a handler's own unit of work committing new
        facts) are queued behind the current ones instead of being dispatched recursively,
        so handlers always see events in the order they were committed.
        """
        queue: deque[DomainEvent] | None = getattr(self._local, "queue", None)
        if queue is not None:
            queue.extend(events)
            return 0
        queue = self._local.queue = deque(events)
        failures = 0
        try:
            while queue:
                event = queue.popleft()
                for handler in self.handlers_for(type(event)):
                    try:
                        handler(event)
                    except Exception as exc:  # one failing handler must not stop the rest
                        failures += 1
                        log.error("event.handler_failed", event_type=type(event).__name__,
                                  handler=getattr(handler, "__qualname__", repr(handler)),
                                  details=repr(event), exc_info=exc)
        finally:
            self._local.queue = None
        return failures


__all__ = ["Handler", "MessageBus"]
