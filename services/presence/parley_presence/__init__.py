"""presence: which connections are live on which gateway node, and who is online, in Redis."""
