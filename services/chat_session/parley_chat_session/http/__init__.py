"""chat_session's HTTP API: the endpoint table, its handlers and the OpenAPI document."""
