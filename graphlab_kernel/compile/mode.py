"""Modes: which rewrites `function` applies and which backend runs the result."""

from __future__ import annotations

from collections.abc import Iterable


# Theano's linkers, as backends: 'py' runs each op's Python (NumPy) code; the others run compiled
# code where there is some (one C function here, or NumPy where C cannot run the graph, such as
# a lazy ifelse, which Theano's 'vm' and 'cvm' run lazily too).
LINKERS = {"py": "numpy", "c": "c", "c|py": None, "vm": None, "cvm": None}


class Mode:
    """How to compile: an optimizer pipeline (by name, or None for no rewriting), rule names or
    rule-set names to include or exclude, and a backend ('c', 'numpy', or None for the default)."""

    def __init__(self, optimizer: str | None = "fast_run", backend: str | None = None,
                 include: Iterable[str] = (), exclude: Iterable[str] = (), *,
                 linker: str | None = None):
        if linker is not None:  # Theano's name for the runtime: Mode(linker='py'), 'c', 'vm'...
            if linker not in LINKERS:
                raise ValueError(f"unknown linker {linker!r}; expected one of "
                                 f"{', '.join(LINKERS)}")
            if backend is not None and backend != LINKERS[linker]:
                raise ValueError(f"Mode got backend={backend!r} and linker={linker!r}; give one")
            backend = LINKERS[linker]
        self.optimizer = optimizer
        self.backend = backend
        self.include = tuple(include)
        self.exclude = tuple(exclude)

    def including(self, *names: str) -> Mode:
        """This mode with the named rules or rule sets added."""
        return Mode(self.optimizer, self.backend, self.include + names, self.exclude)

    def excluding(self, *names: str) -> Mode:
        """This mode with the named rules or rule sets left out."""
        return Mode(self.optimizer, self.backend, self.include, self.exclude + names)

    def __repr__(self) -> str:
        return (f"Mode(optimizer={self.optimizer!r}, backend={self.backend!r}, "
                f"include={self.include}, exclude={self.exclude})")


PREDEFINED = {
    "FAST_RUN": Mode("fast_run"),
    "FAST_COMPILE": Mode("fast_compile"),
    "NO_OPT": Mode(None),
    "DebugMode": Mode("fast_run", backend="numpy"),
}  # names are matched case-insensitively: 'no_opt' is NO_OPT


def get_mode(mode: str | Mode | None) -> Mode:
    """The Mode for `mode`: a Mode, one of PREDEFINED's names, or None for the default."""
    if mode is None:
        return PREDEFINED["FAST_RUN"]
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        for name, predefined in PREDEFINED.items():
            if mode.upper() == name.upper():
                return predefined
    raise ValueError(f"unknown mode {mode!r}; expected a Mode or one of {', '.join(PREDEFINED)}")
