"""graphlab_kernel: a symbolic tensor compiler in the manner of Theano.

Build a graph from typed symbols (`graphlab_kernel.tensor`), differentiate it (`grad`), and compile
it (`function`) into a fast callable; `shared` variables keep state between calls.
"""

from graphlab_kernel.configuration import config
from graphlab_kernel import tensor  # noqa: I001 (after config, which tensor reads)
from graphlab_kernel import ifelse
from graphlab_kernel.compile.function import Function, In, function
from graphlab_kernel.compile.mode import Mode
from graphlab_kernel.compile.shared import SharedVariable, shared
from graphlab_kernel.gof.graph import Apply, Constant, Variable
from graphlab_kernel.gof.op import Op
from graphlab_kernel.gradient import grad
from graphlab_kernel.printing import debugprint, pp
from graphlab_kernel.scan_module import scan
# Theano's loop shorthands, as theano.map etc. (left out of __all__: they would shadow builtins)
from graphlab_kernel.scan_module import foldl, foldr, map, reduce  # noqa: A004, F401

__version__ = "0.1.0"

__all__ = ["Apply", "Constant", "Function", "In", "Mode", "Op", "SharedVariable", "Variable",
           "config", "debugprint", "function", "grad", "ifelse", "pp", "scan", "shared", "tensor",
           "__version__"]
