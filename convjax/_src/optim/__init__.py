"""PyTorch's optimizers and learning-rate schedulers as optax transformations."""
