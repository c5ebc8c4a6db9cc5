"""Database backends: Django's own, with what IDEI changes said where it is changed."""
