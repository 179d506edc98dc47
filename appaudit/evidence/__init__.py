"""Evidence model and its JSON codec."""
