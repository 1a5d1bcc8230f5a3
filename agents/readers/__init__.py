"""Local readers: pure functions that turn document bytes into the normalised invoice."""
