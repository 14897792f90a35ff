"""The topic as data: a bilingual lexicon loaded from TOML, and the filter that uses it."""
