"""What the builder, validator and resolver stand on; knows no product.

Errors and their one-line text, bounded readers of untrusted files, atomic writes, hashes, tolerances,
the cache root, devices, the job runner, and the SAM models and checkpoints themselves.
"""
