"""Search: the query language and what is indexed (``query``), ranking, the filters' help, and
watch-list terms."""
