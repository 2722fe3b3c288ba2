"""Search: the query language (:mod:`.query`), compiled (:mod:`.compile`) and run
(:mod:`.engine`) on a Tantivy index derived from the archive (:mod:`.index`)."""

from cablegate.search.engine import FACETS, SORTS, Hit, Results, SearchTimeout, search
from cablegate.search.query import Query, QueryError, parse_query

__all__ = [
    "FACETS",
    "SORTS",
    "Hit",
    "Query",
    "QueryError",
    "Results",
    "SearchTimeout",
    "parse_query",
    "search",
]
