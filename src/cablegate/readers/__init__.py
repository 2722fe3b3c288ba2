"""Readers: every form cables circulate in, turned into :class:`~cablegate.model.Cable` records.

``read_paths`` walks files, folders and archives and picks the reader by content.
"""

from cablegate.readers.cables_csv import read_cables_csv
from cablegate.readers.collect import Item, detect_format, read_bytes, read_paths
from cablegate.readers.site import read_site_page
from cablegate.readers.site_text import read_site_text
from cablegate.readers.text_export import read_text_export

__all__ = [
    "Item",
    "detect_format",
    "read_bytes",
    "read_cables_csv",
    "read_paths",
    "read_site_page",
    "read_site_text",
    "read_text_export",
]
