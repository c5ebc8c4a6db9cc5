"""The outbox: every e-mail the platform sends is a row here, queued once and sent at most once.

A platform app: any domain app may queue mail through `idei.outbox.services`, and the outbox
imports none of them. A message names what it belongs to with two plain references
(`group`, `about`: "app.model:pk" strings made by `ref()`), so that a domain app can find its
own messages again without the outbox knowing its models.
"""
