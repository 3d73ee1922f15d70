"""Benchmarks. Each module here exposes `main()`; run `python -m bench` for all or
`python -m bench NAME` for one (e.g. `python -m bench optimizer`)."""
