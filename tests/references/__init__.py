"""Naive NumPy (float64) references written from the definitions, one module per topic.

They never call jax: each is an independent check of convjax's numbers.
"""
