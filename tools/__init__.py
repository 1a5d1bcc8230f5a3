"""Tooling that runs beside the product: the chaos suite (and, as they move here, benchmarks and generators).

The product (schemas, config, streams, agents) never imports this package; the CLI imports it lazily, only
in the commands that need it, so a worker never loads it.
"""
