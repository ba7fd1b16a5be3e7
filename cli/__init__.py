"""The ``minutes`` command line: it only parses options and dispatches to the layers below."""
