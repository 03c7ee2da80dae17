"""The demo: a shop Footfall serves itself, and generated traffic through it for every view."""
