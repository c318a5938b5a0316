"""Benchmarks, one command each (`python -m bench.<name>`); databases are built under bench/out/."""
