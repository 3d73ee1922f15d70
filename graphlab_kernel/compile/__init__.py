"""Compiling graphs into callable functions: `function`, `shared`, and modes."""
