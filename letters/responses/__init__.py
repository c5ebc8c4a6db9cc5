"""Officials' responses: replies by e-mail, other ways, moderation, the public record."""
