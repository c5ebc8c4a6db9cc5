"""Events of the campaigns app that apps above it act on (campaigns may not import them).

The one place where campaigns calls upward, and only through an explicitly sent, named event:
`campaign_closed` is sent by Campaign.close(); letters delivers a petition campaign's petition
(letters/apps.py connects it).
"""

from django.dispatch import Signal

# Sent by Campaign.close() once the campaign is closed; kwargs: campaign.
campaign_closed = Signal()
