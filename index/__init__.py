"""The write path: minutes files -> documents -> chunks -> embeddings -> on-disk index."""
