"""The plumbing of invoiceflow: the stage runner and its two transports (the plain-aiokafka worker, the
default, and the Faust adapter), Kafka clients, topics, codec, tracing, sinks, the API service and the CLI.

The package surface is the light part every stage uses (the codec and the error tree); the Faust app lives
in `streams.app` and is imported only by processes that run it, so pure cores never pull Faust in.
"""

from streams.codecs import decode, encode
from streams.errors import InvoiceflowError

__all__ = ["InvoiceflowError", "decode", "encode"]
