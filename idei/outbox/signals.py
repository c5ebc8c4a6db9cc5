"""What the outbox tells the apps about an address: the one way up from the platform.

Sent with the address itself (in memory only, never stored by the outbox), so that an app can
find its own rows for it: `letters` marks signatures and subscriptions bounced, and stops
everything non-transactional after a complaint.
"""

from django.dispatch import Signal

# A permanent failure (a 5xx during the send, or a delivery status notification): `address`.
address_bounced = Signal()
# A complaint (an ARF report: the recipient marked our mail as spam): `address`.
address_complained = Signal()
