"""Benchmarks: `make bench` writes its reports to bench/results/."""
