"""zhuanlan (专栏): curated study columns from authoritative sources."""

__version__ = "0.1.0"
