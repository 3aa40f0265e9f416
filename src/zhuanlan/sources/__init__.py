"""Kinds of source (feeds, list pages, sitemaps) and presets of known outlets."""
