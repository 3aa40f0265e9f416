"""Articles out of pages: the generic extractor, page metadata and date parsing."""

from zhuanlan.extract.article import MIN_BODY_CHARS, extract_article
from zhuanlan.extract.dates import find_date, parse_date

__all__ = ["extract_article", "parse_date", "find_date", "MIN_BODY_CHARS"]
