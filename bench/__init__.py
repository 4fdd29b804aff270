"""Benchmarks (not tests): each script prints figures and a ratio to a baseline run beside it."""
