"""The on-device path: an in-memory dataset held on the training device, augmented in whole batches."""
