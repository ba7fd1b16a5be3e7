"""The read path: question -> retrieval over the index -> cited, extractive answer."""
