"""torchvision's classification and segmentation CNNs as Flax NNX modules."""
