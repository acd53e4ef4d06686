"""gateway: the WebSocket door for widgets and apps; speaks the client protocol."""
