"""Text handling shared by the filter, clustering, summaries and search: the one normalizer,
language by script, and sentence splitting."""
