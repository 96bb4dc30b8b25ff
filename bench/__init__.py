"""Benchmarks, load tests and scenario generators: a development tool, installed in dev and test settings only.

Product packages never import it (import-linter checks that in `make lint`) and the built wheel leaves it out.
"""
