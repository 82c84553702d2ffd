"""Benchmarks: each module measures one target of DESIGN.md and writes bench/results/<name>.json."""
