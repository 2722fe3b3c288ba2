"""Search: the query language (:mod:`.query`) and running it on the archive (:mod:`.engine`)."""

from cablegate.search.engine import FACETS, SORTS, Hit, Results, search
from cablegate.search.query import Query, QueryError, parse_query

__all__ = ["FACETS", "SORTS", "Hit", "Query", "QueryError", "Results", "parse_query", "search"]
