"""auth: accounts, passwords (argon2), JWT access tokens and the JWKS that verifies them."""
