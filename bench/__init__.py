"""Benchmarks: `make bench` runs each bench_*.py (bench/run.py)."""
