"""The base class of Types: value objects that say which runtime values a Variable may hold."""

from __future__ import annotations

from typing import Any


class Type:
    """A kind of value. Subclasses are immutable and compared by value."""

    def filter(self, value: Any, name: str = "input") -> Any:
        """Return `value` converted to this type, or raise TypeError naming `name`."""
        raise NotImplementedError

    def make_variable(self, name: str | None = None):
        """Return a new free Variable of this type."""
        raise NotImplementedError

    def __call__(self, name: str | None = None):
        return self.make_variable(name)
