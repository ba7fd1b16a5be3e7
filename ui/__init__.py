"""The Gradio front end: a pure HTTP client of the service."""
