"""flash."""
