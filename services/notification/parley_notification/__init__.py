"""notification: routes each event to the gateway nodes that hold its recipients."""
