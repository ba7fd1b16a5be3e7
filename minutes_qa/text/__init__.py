"""Text helpers every layer shares: dates, list markers, sentence spans, meeting labels, quotes.

Pure functions and patterns only; nothing here imports a layer (index, rag, server, ui), so the
UI may use them without reaching into the read or write path.
"""
