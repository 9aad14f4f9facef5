"""How many pages and training runs one server holds at once, and who is turned away.

A lecture hall is a few hundred phones and laptops on one server; a stuck script
or a hostile page must not be able to take all of it. Every cap refuses with a
sentence the page shows (error code ``busy``) and the server goes on serving
everyone already in. Counting happens on the event loop and on worker threads
(a training run starts on one), so it is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


def pages(n: int) -> str:
    return "1 page" if n == 1 else f"{n} pages"


@dataclass
class Occupancy:
    """The caps, and what is in use now."""

    max_sessions: int = 600  # open pages on the whole server: three lecture halls' worth
    max_per_address: int = 250  # open pages from one address: a hall behind one NAT still fits
    max_training_runs: int = 12  # X-vs-O runs at once: past this, training would starve every slider
    sessions: Counter = field(default_factory=Counter)  # open pages by address
    training_runs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> int:
        return sum(self.sessions.values())

    def enter(self, address: str) -> str | None:
        """Count a new page in; None, or the sentence that turns it away."""
        with self._lock:
            if self.total >= self.max_sessions:
                return (
                    f"the server is full ({pages(self.max_sessions)} open); "
                    "close a tab you do not need or try again in a minute"
                )
            if self.sessions[address] >= self.max_per_address:
                return (
                    f"your address already has {pages(self.max_per_address)} open on this server; "
                    "close some tabs and reload"
                )
            self.sessions[address] += 1
            return None

    def leave(self, address: str) -> None:
        with self._lock:
            self.sessions[address] -= 1
            if self.sessions[address] <= 0:
                del self.sessions[address]

    def start_run(self) -> str | None:
        """Count a new training run in; None, or the sentence that refuses it."""
        with self._lock:
            if self.training_runs >= self.max_training_runs:
                networks = "a network" if self.max_training_runs == 1 else f"{self.max_training_runs} networks"
                return f"the server is already training {networks}, its limit; try again when someone stops theirs"
            self.training_runs += 1
            return None

    def end_run(self) -> None:
        with self._lock:
            self.training_runs = max(0, self.training_runs - 1)
