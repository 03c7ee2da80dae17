"""Analyses over the store: heatmaps, funnels, performance, errors."""
