"""Regions are reference data loaded by `flask regions import`; the area has no web forms."""
