"""Parsers and measurements over what a run records: journal lines and the sampler's timeline."""
