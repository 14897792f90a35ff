"""digestbot: bilingual (Arabic/English) news digests about Russia–North Korea relations."""

__version__ = "0.1.0"
