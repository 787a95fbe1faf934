"""The launch-spike load test (`make bench`) and PostgreSQL's ceiling in each write mode.

`python -m perf spike --profile short|long` starts the whole stack once per write mode
(buffered, then direct), plays a spike of simulated players against it over HTTP and
websockets, and reports what the players saw and what PostgreSQL and Redis did.
`python -m perf ceiling` drives each mode's apply code (the direct write of a request,
the flush) from many concurrent writers without HTTP. See docs/benchmarks.md.
"""
