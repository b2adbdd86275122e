"""No models of its own."""
