"""The benchmark scenarios; each runs against a :class:`~bench.scenarios.targets.Target`."""
