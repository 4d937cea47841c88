"""How batches are served: samplers whose order depends only on (seed, epoch), and loaders that resume mid-epoch and time their fetches."""
