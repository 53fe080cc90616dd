"""The adoption bench's parts: the seed, the raw SQL with its checks, the measuring."""
