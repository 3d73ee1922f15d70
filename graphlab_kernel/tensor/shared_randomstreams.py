"""Theano's module name for RandomStreams: `from graphlab_kernel.tensor.shared_randomstreams import
RandomStreams` ports `from theano.tensor.shared_randomstreams import RandomStreams` as it is."""

from graphlab_kernel.tensor.random import RandomStreams

__all__ = ["RandomStreams"]
