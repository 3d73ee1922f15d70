"""The graph layer: Types, Variables, Apply nodes, Ops, and the FunctionGraph that rewrites edit."""
