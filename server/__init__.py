"""The HTTP service exposing the read path (FastAPI)."""
