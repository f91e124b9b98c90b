"""The HTTP and websocket edge: routes, the websocket endpoint, caption ingest, the APIs."""
