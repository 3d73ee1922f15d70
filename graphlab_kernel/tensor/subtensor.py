"""Indexing and slicing, and writing into slices (set_subtensor, inc_subtensor)."""
