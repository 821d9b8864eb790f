"""Speed and memory benchmarks of DESIGN §11 (``make bench``; not part of the test suite).

Every benchmark prints its figure next to a baseline measured in the same process and run,
and the ratio between them; no benchmark asserts a time.
"""
