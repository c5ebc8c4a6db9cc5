"""The key that makes two spellings of one mailbox the same person."""

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(email: str) -> str:
    """The key that makes two spellings of one mailbox the same signer.

    Lower-cased and stripped. A "+tag" is removed for every domain: nearly every provider
    delivers name+tag@ to name@, so keeping it would let one person sign many times, and two
    different people whose addresses differ only by a +tag practically do not exist. Dots are
    removed for Gmail only (Gmail ignores them; other providers do not), and googlemail.com is
    gmail.com.
    """
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local:
        return email
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"
