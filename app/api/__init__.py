"""The HTTP layer: parse the request, call the domain, shape the response. No business rules here."""
