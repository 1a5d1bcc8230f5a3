"""The plumbing of invoiceflow: Faust app, topics, codec, tracing, stage runner, sinks and the CLI.

The package surface is the light part every stage uses (the codec and the error tree); the Faust app lives
in `streams.app` and is imported only by processes that run it, so pure cores never pull Faust in.
"""

from streams.codecs import decode, encode
from streams.errors import InvoiceflowError

__all__ = ["InvoiceflowError", "decode", "encode"]
