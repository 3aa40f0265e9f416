"""The jobs the worker runs: each claims due rows from the store, calls the pure
stages and the shell (fetch, channels), and records the outcome with the release of
its claim in one transaction."""
