"""Neural-network functions, reachable as T.nnet.* as in Theano."""

from graphlab_kernel.tensor.math import sigmoid, softplus  # noqa: F401
