"""The graphlab IPython extension: `%load_ext graphlab_extension` (built in issue 5)."""
