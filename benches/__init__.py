"""Benchmarks and fault runs, run by hand from the repository root: ``python -m benches.<script>``."""
