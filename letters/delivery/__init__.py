"""Delivery: letters to officials as they come, daily digests, petitions, and their PDFs."""
