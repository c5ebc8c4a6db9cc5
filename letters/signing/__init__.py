"""Signing: the sign form and its abuse defences, confirmation by e-mail, the shown count."""
