"""kav package hw_bridge."""
