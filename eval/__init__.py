"""The evaluation harness: question sets -> retrieval and answer metrics -> reports."""
