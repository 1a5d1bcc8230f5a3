"""Local readers: pure functions that turn document bytes into the normalised invoice (the e-invoice XML
readers, one module per syntax, are listed in `agents.readers.registry`)."""
