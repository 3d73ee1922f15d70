"""Shared variables: symbolic variables with a value that persists between function calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import TensorVariable


class SharedVariable(TensorVariable):
    """A tensor variable that holds a value, used by every function whose graph mentions it.

    Functions read the value at each call and their `updates` replace it after a successful call.
    `default_update`, when set, is the update every function using the variable applies unless
    it is given another one or compiled with `no_default_updates` (as Theano's: a random state
    advances this way). Observers registered with `observe` are told of every new value.
    """

    def __init__(self, type: TensorType, value: np.ndarray, name: str | None = None):
        super().__init__(type, name=name)
        self._value = value
        self.default_update: TensorVariable | None = None
        self._observers: tuple[Callable[[SharedVariable], None], ...] = ()

    def get_value(self, borrow: bool = False) -> np.ndarray:
        """The current value: a copy, unless `borrow`. A borrowed array is the value itself: do
        not modify it, and expect a compiled function updating this variable to write its next
        value into the same array (the C backend does, for a writable C-contiguous array), even
        while another thread reads it: calls on one shared variable from several threads need a
        lock."""
        return self._value if borrow else self._value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it must fit the variable's type (cast only where nothing is lost)."""
        array = self.type.filter(value, name=f"the new value of shared variable {self}")
        if not borrow or array is not value:  # keep the caller's array only when borrowed as is
            array = np.array(array, copy=True)
        self._value = array
        self._notify()

    def _assign(self, array: np.ndarray) -> None:
        """Store a value a compiled function computed (already of the right type and owned)."""
        self._value = array
        for callback in self._observers:  # a tuple, replaced (not mutated) on (un)observe
            callback(self)

    def observe(self, callback: Callable[[SharedVariable], None]) -> None:
        """Call `callback(self)` after every change of value."""
        self._observers = self._observers + (callback,)

    def unobserve(self, callback: Callable[[SharedVariable], None]) -> None:
        """Stop calling `callback` on changes."""
        if callback in self._observers:
            observers = list(self._observers)
            observers.remove(callback)
            self._observers = tuple(observers)

    def _notify(self) -> None:
        for callback in self._observers:
            callback(self)

    def clone(self) -> TensorVariable:
        """A plain variable of the same type and name, standing for this one in compiled graphs."""
        return TensorVariable(self.type, name=self.name)

    @property
    def value(self) -> np.ndarray:
        return self.get_value()


def shared(value: Any, name: str | None = None, borrow: bool = False,
           broadcastable: tuple[bool, ...] | None = None) -> SharedVariable:
    """A new shared variable holding `value`; its type is inferred from the value
    (`shared(0)` is an int64 scalar, `shared(0.)` a float64 scalar)."""
    if isinstance(value, TensorVariable):
        raise TypeError(f"shared needs a value, not the symbolic variable {value}")
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"shared needs a number or an array; got {type(value).__name__} {value!r}")
    array = np.asarray(value)
    if array.dtype.kind in "OUSV":
        raise TypeError(f"shared needs numeric values; got an array of {array.dtype}")
    if not borrow or array is not value:
        array = np.array(array, copy=True)
    if broadcastable is None:
        broadcastable = (False,) * array.ndim
    ttype = TensorType(array.dtype, broadcastable)
    return SharedVariable(ttype, ttype.filter(array, name=f"shared value {name or ''}".strip()), name)
