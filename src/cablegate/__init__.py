"""cablegate: turn a raw dump of diplomatic cables into a published, searchable archive."""

__version__ = "0.1.0"
